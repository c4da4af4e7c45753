using Microsoft.AspNetCore.Http.HttpResults;
using ScaleShop.Storefront.Common;
using ScaleShop.Storefront.Common.Http;

namespace ScaleShop.Storefront.Accounts;

public sealed record RegisterRequest(string? Email, string? Password, string? DisplayName);

public sealed record SignInRequest(string? Email, string? Password);

public sealed record SignInResponse(string AccessToken, string TokenType, int ExpiresIn);

public static class AccountsApi
{
    public static RouteGroupBuilder MapAccountsApi(this RouteGroupBuilder api)
    {
        var accounts = api.MapGroup("").WithTags("Accounts");
        accounts.MapPost("/accounts", Register).ProducesProblem(StatusCodes.Status409Conflict);
        accounts.MapPost("/sessions", SignIn).ProducesProblem(StatusCodes.Status401Unauthorized);
        return api;
    }

    private static async Task<Results<Created<AccountView>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request, AccountService accounts, CancellationToken cancellationToken) =>
        await accounts.RegisterAsync(request.Email, request.Password, request.DisplayName, cancellationToken) switch
        {
            RegistrationOutcome.Registered registered => TypedResults.Created((string?)null, registered.Account),
            RegistrationOutcome.Invalid invalid => Problems.Validation(invalid.Errors),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Email already registered",
                detail: AccountService.EmailTakenMessage, extensions: new Dictionary<string, object?> { ["field"] = "email" }),
        };

    private static async Task<Results<Ok<SignInResponse>, ValidationProblem, ProblemHttpResult>> SignIn(
        SignInRequest request, AccountService accounts, CancellationToken cancellationToken)
    {
        var errors = AccountService.ValidateSignIn(request.Email, request.Password);
        if (!errors.IsEmpty)
        {
            return Problems.Validation(errors);
        }

        return await accounts.SignInAsync(request.Email, request.Password, cancellationToken) is { } token
            ? TypedResults.Ok(new SignInResponse(token.Token, token.TokenType, token.ExpiresIn))
            : TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed", detail: AccountService.SignInFailedMessage);
    }
}
