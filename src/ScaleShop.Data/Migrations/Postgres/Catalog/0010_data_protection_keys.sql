-- The ASP.NET Core data-protection key ring (it encrypts the web storefront's sign-in cookies and antiforgery
-- tokens), shared by every storefront instance: a cookie issued by one instance, or by the previous version
-- during a rolling deploy, must be readable by the next. Keys are only ever added; each is an XML element.
CREATE TABLE IF NOT EXISTS data_protection_keys (
    name TEXT PRIMARY KEY,
    xml  TEXT NOT NULL
);
