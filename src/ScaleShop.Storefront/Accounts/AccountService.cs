using System.Net.Mail;
using Microsoft.AspNetCore.Identity;
using ScaleShop.Storefront.Common;

namespace ScaleShop.Storefront.Accounts;

public sealed record AccountView(string Id, string Email, string DisplayName);

public abstract record RegistrationOutcome
{
    public sealed record Registered(AccountView Account) : RegistrationOutcome;

    public sealed record Invalid(ValidationErrors Errors) : RegistrationOutcome;

    public sealed record EmailTaken : RegistrationOutcome;
}

/// <summary>Registration and sign-in. Passwords are hashed with ASP.NET Core Identity's PBKDF2 hasher.</summary>
public sealed class AccountService(AccountStore store, IPasswordHasher<Account> hasher, TokenService tokens)
{
    public const int EmailMaxLength = 254;
    public const int PasswordMinLength = 8;
    public const int PasswordMaxLength = 128;
    public const int DisplayNameMaxLength = 100;
    public const string EmailTakenMessage = "An account with this email already exists.";
    public const string SignInFailedMessage = "The email or password is wrong.";

    /// <summary>What a sign-in form must hold before a password is checked.</summary>
    public static ValidationErrors ValidateSignIn(string? email, string? password)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(email))
        {
            errors.Add("email", "email is required.");
        }

        if (string.IsNullOrEmpty(password))
        {
            errors.Add("password", "password is required.");
        }

        return errors;
    }

    // Verifying against a real hash when the email is unknown keeps both answers equally slow, so response
    // time does not reveal which emails are registered.
    private readonly Lazy<string> _timingEqualizerHash = new(() => hasher.HashPassword(null!, Guid.NewGuid().ToString()));

    public async Task<RegistrationOutcome> RegisterAsync(string? email, string? password, string? displayName, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(email) || email.Length > EmailMaxLength || !IsEmail(email))
        {
            errors.Add("email", $"email must be a valid address of at most {EmailMaxLength} characters.");
        }

        if (password is null || password.Length < PasswordMinLength || password.Length > PasswordMaxLength)
        {
            errors.Add("password", $"password must be between {PasswordMinLength} and {PasswordMaxLength} characters.");
        }

        if (string.IsNullOrWhiteSpace(displayName) || displayName.Length > DisplayNameMaxLength)
        {
            errors.Add("displayName", $"displayName must be between 1 and {DisplayNameMaxLength} characters.");
        }

        if (!errors.IsEmpty)
        {
            return new RegistrationOutcome.Invalid(errors);
        }

        var account = await store.CreateAsync(email!, displayName!.Trim(), hasher.HashPassword(null!, password!), isAdmin: false, cancellationToken);
        return account is null
            ? new RegistrationOutcome.EmailTaken()
            : new RegistrationOutcome.Registered(new AccountView(account.Id.ToString(), account.Email, account.DisplayName));
    }

    /// <summary>An access token, or null for a wrong password or an unknown email alike.</summary>
    public async Task<AccessToken?> SignInAsync(string? email, string? password, CancellationToken cancellationToken) =>
        await AuthenticateAsync(email, password, cancellationToken) is { } account ? tokens.Issue(account) : null;

    /// <summary>The account whose password this is (the web storefront's cookie sign-in), or null for a wrong password or an unknown email alike.</summary>
    public async Task<Account?> AuthenticateAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > EmailMaxLength || string.IsNullOrEmpty(password) || password.Length > PasswordMaxLength)
        {
            return null;
        }

        var account = await store.FindByEmailAsync(email, cancellationToken);
        if (account is null)
        {
            hasher.VerifyHashedPassword(null!, _timingEqualizerHash.Value, password);
            return null;
        }

        switch (hasher.VerifyHashedPassword(account, account.PasswordHash, password))
        {
            case PasswordVerificationResult.Failed:
                return null;
            case PasswordVerificationResult.SuccessRehashNeeded:
                await store.UpdateCredentialsAsync(account.Id, hasher.HashPassword(account, password), account.IsAdmin, cancellationToken);
                break;
        }

        return account;
    }

    /// <summary>Makes the configured admin exist with the configured password; the only path to the admin role.</summary>
    public async Task EnsureAdminAsync(string email, string password, CancellationToken cancellationToken)
    {
        var existing = await store.FindByEmailAsync(email, cancellationToken);
        if (existing is null)
        {
            if (await store.CreateAsync(email, "Administrator", hasher.HashPassword(null!, password), isAdmin: true, cancellationToken) is not null)
            {
                return;
            }

            existing = await store.FindByEmailAsync(email, cancellationToken)
                ?? throw new InvalidOperationException("The admin account could be neither created nor found.");
        }

        var passwordMatches = hasher.VerifyHashedPassword(existing, existing.PasswordHash, password) != PasswordVerificationResult.Failed;
        if (!existing.IsAdmin || !passwordMatches)
        {
            await store.UpdateCredentialsAsync(existing.Id, passwordMatches ? existing.PasswordHash : hasher.HashPassword(existing, password), isAdmin: true, cancellationToken);
        }
    }

    private static bool IsEmail(string email) =>
        MailAddress.TryCreate(email.Trim(), out var address) && address.Address == email.Trim() && address.Host.Contains('.', StringComparison.Ordinal);
}
