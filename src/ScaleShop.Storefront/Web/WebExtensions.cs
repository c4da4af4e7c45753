using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ScaleShop.Data;
using ScaleShop.Storefront.Accounts;
using ScaleShop.Storefront.Observability;
using ScaleShop.Storefront.Resilience;

namespace ScaleShop.Storefront.Web;

/// <summary>
/// The web storefront: server-rendered Razor Pages (Web/Pages) over the same services the API uses, signed in
/// with a cookie (no token in the browser's storage), antiforgery on every form, anonymous pages output-cached
/// and evicted by the catalog's tags, static assets fingerprinted and cached for good.
/// </summary>
public static class WebExtensions
{
    public const string CookieScheme = "web";
    public const string ShopperPolicy = "shopper";
    public const string PageCachePolicy = "page";

    // The API authenticates bearer tokens only (so a cookie can never act on the API: no cross-site request forgery
    // there); pages authenticate the cookie. One default scheme picks between them by path.
    private const string ByPathScheme = "api-bearer-or-web-cookie";
    internal const string ApiPathPrefix = "/api";

    /// <summary>Page → the journey its requests are measured in (objectives, dashboards), and its priority under overload.</summary>
    private static readonly Dictionary<string, (string Journey, RequestPriority Priority)> PageJourneys = new(StringComparer.Ordinal)
    {
        ["/Index"] = (Journeys.Browse, RequestPriority.Normal),
        ["/Categories/Show"] = (Journeys.Browse, RequestPriority.Normal),
        ["/Products/Show"] = (Journeys.Browse, RequestPriority.Normal),
        ["/Search"] = (Journeys.Search, RequestPriority.Normal),
        ["/Cart/Index"] = (Journeys.Cart, RequestPriority.Normal),
        ["/Checkout"] = (Journeys.Checkout, RequestPriority.Critical),
        ["/Orders/Index"] = (Journeys.Checkout, RequestPriority.Normal),
        ["/Orders/Show"] = (Journeys.Checkout, RequestPriority.Normal),
    };

    public static IHostApplicationBuilder AddStorefrontWeb(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<WebOptions, WebOptionsValidator>(builder.Configuration, WebOptions.SectionName);

        // The storefront runs from its build output (the local cluster's versions are copies of it), whose asset
        // manifest MapStaticAssets treats as a developer's: every asset no-cache unless this is set. The manifest's own
        // headers are right everywhere (immutable for fingerprinted URLs, which change with the content).
        builder.Configuration["EnableStaticAssetsDevelopmentCaching"] ??= "true";

        services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/Web/Pages";
            pages.Conventions.AuthorizeFolder("/Cart", ShopperPolicy);
            pages.Conventions.AuthorizeFolder("/Orders", ShopperPolicy);
            pages.Conventions.AuthorizePage("/Checkout", ShopperPolicy);
            foreach (var (page, (journey, priority)) in PageJourneys)
            {
                pages.Conventions.AddPageApplicationModelConvention(page, model =>
                {
                    model.EndpointMetadata.Add(new JourneyMetadata(journey));
                    model.EndpointMetadata.Add(new RequestPriorityMetadata(priority));
                });
            }
        });

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = ByPathScheme;
                options.DefaultChallengeScheme = ByPathScheme;
            })
            .AddPolicyScheme(ByPathScheme, null, options => options.ForwardDefaultSelector = context =>
                context.Request.Path.StartsWithSegments(ApiPathPrefix) ? JwtBearerDefaults.AuthenticationScheme : CookieScheme)
            .AddCookie(CookieScheme);
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<IOptions<WebOptions>>((cookie, web) =>
        {
            cookie.Cookie.Name = "scaleshop.session";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = web.Value.SessionLifetime;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = "/account/sign-in";
            cookie.LogoutPath = "/account/sign-out";
            cookie.AccessDeniedPath = "/account/sign-in";
            cookie.ReturnUrlParameter = "returnUrl";
        });
        services.AddAuthorizationBuilder().AddPolicy(ShopperPolicy, policy => policy
            .AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser().RequireClaim(ShopperSession.SubjectClaim));

        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "scaleshop.antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        // Cookies and antiforgery tokens are sealed with keys every instance and version shares (the catalog
        // database); the application name stops each version's folder from making a key ring of its own.
        services.AddSingleton<DataProtectionKeyStore>();
        services.AddDataProtection().SetApplicationName("ScaleShop.Storefront");
        services.AddOptions<KeyManagementOptions>().Configure<DataProtectionKeyStore>((keys, store) => keys.XmlRepository = store);

        // Ahead of the JSON writer (the first writer that can write wins): pages fail in HTML, the API in JSON.
        services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, HtmlProblemDetailsWriter>());

        services.AddOutputCache();
        services.Replace(ServiceDescriptor.Singleton<IOutputCacheStore, PageOutputCacheStore>());
        services.AddOptions<OutputCacheOptions>().Configure<IOptions<WebOptions>>((cache, web) =>
        {
            cache.DefaultExpirationTimeSpan = web.Value.OutputCaching.PageDuration;
            // The default policy's rules stay (GET and HEAD, anonymous, 200, no cookie set); only the query keys a
            // page reads vary it, so made-up query strings cannot fill the cache.
            cache.AddPolicy(PageCachePolicy, page => page.Expire(web.Value.OutputCaching.PageDuration).SetVaryByQuery("after", "q"));
        });
        return builder;
    }

    /// <summary>After authentication and the service's protection: a cached page skips the handlers, never the limits.</summary>
    public static WebApplication UseStorefrontWeb(this WebApplication app)
    {
        // A page's 404 (an unknown product, another shopper's order) gets a page; the API keeps its problem details
        // (this middleware stands down there, and the outer one of the service defaults answers).
        app.UseStatusCodePagesWithReExecute("/status/{0}");
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(ApiPathPrefix) && context.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            return next(context);
        });
        if (app.Services.GetRequiredService<IOptions<WebOptions>>().Value.OutputCaching.Enabled)
        {
            app.UseOutputCache();
        }

        return app;
    }

    public static WebApplication MapStorefrontWeb(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorPages().WithStaticAssets();
        return app;
    }

    /// <summary>
    /// Read-your-writes for browsers: the token the API hands back in a header (<see cref="Hosting.ConsistencyTokens"/>)
    /// rides in a short-lived cookie for pages, so the cart page after "add to cart" is read from a replica that has
    /// the change, or from the primary. Runs before the token middleware; its response callback runs after that one's.
    /// </summary>
    public static WebApplication UseConsistencyCookie(this WebApplication app)
    {
        var lifetime = app.Services.GetRequiredService<IOptions<WebOptions>>().Value.ConsistencyCookieLifetime;
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(ApiPathPrefix))
            {
                await next(context);
                return;
            }

            if (context.Request.Cookies.TryGetValue(ConsistencyCookie, out var token) && !context.Request.Headers.ContainsKey(Hosting.ConsistencyTokens.HeaderName))
            {
                context.Request.Headers[Hosting.ConsistencyTokens.HeaderName] = Uri.UnescapeDataString(token);
            }

            context.Response.OnStarting(() =>
            {
                if (context.Response.Headers.TryGetValue(Hosting.ConsistencyTokens.HeaderName, out var written))
                {
                    context.Response.Cookies.Append(ConsistencyCookie, Uri.EscapeDataString(written.ToString()), new CookieOptions
                    {
                        HttpOnly = true,
                        SameSite = SameSiteMode.Lax,
                        Secure = context.Request.IsHttps,
                        MaxAge = lifetime,
                        IsEssential = true,
                    });
                }

                return Task.CompletedTask;
            });
            await next(context);
        });
        return app;
    }

    private const string ConsistencyCookie = "scaleshop.consistency";
}
