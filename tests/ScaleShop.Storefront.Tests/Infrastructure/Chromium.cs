using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScaleShop.Storefront.Tests.Infrastructure;

/// <summary>
/// Headless Chromium (the Debian package) driven over the DevTools protocol: a WebSocket and JSON, no browser
/// download and no driver package. The process and its profile folder belong to this object: disposing it
/// kills every process the browser started (renderers included) and deletes the profile, whatever the test did.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    // As this machine's documentation prescribes: no sandbox (root), no GPU, and none of the background
    // connections that a closed network refuses, many at a time.
    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--remote-debugging-port=0",
    ];

    private readonly Process _process;
    private readonly string _profile;

    private Chromium(Process process, string profile, DevToolsConnection connection)
    {
        _process = process;
        _profile = profile;
        Connection = connection;
    }

    internal DevToolsConnection Connection { get; }

    /// <summary><c>SCALESHOP_CHROMIUM</c>, else <c>chromium</c> (Debian) or <c>chromium-browser</c> on PATH; null when there is none.</summary>
    public static string? FindExecutable()
    {
        if (Environment.GetEnvironmentVariable("SCALESHOP_CHROMIUM") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(folder => new[] { "chromium", "chromium-browser" }.Select(name => Path.Combine(folder, name)))
            .FirstOrDefault(File.Exists);
    }

    public static async Task<Chromium> LaunchAsync(CancellationToken cancellationToken)
    {
        var executable = FindExecutable();
        Assert.True(executable is not null,
            "Chromium is not installed: the dashboard test drives the Debian package 'chromium' (apt-get install -y chromium; ./test.sh installs it), or set SCALESHOP_CHROMIUM to a Chromium binary.");

        var profile = Path.Combine(Path.GetTempPath(), "scaleshop-chromium", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var start = new ProcessStartInfo(executable!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var flag in Flags)
        {
            start.ArgumentList.Add(flag);
        }

        start.ArgumentList.Add($"--user-data-dir={profile}");
        start.ArgumentList.Add("about:blank");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Chromium writes the port it chose, and its browser endpoint's path, to this file once it listens.
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            var deadline = DateTimeOffset.UtcNow + StartTimeout;
            string[] lines;
            while ((lines = await ReadPortFileAsync(portFile, cancellationToken)).Length < 2)
            {
                Assert.False(process.HasExited, $"Chromium exited with {(process.HasExited ? process.ExitCode : 0)} while starting: {string.Join(Environment.NewLine, output)}");
                Assert.True(DateTimeOffset.UtcNow < deadline, $"Chromium did not open its DevTools port in {StartTimeout}: {string.Join(Environment.NewLine, output)}");
                await Task.Delay(100, cancellationToken);
            }

            var connection = await DevToolsConnection.ConnectAsync(new Uri($"ws://127.0.0.1:{lines[0].Trim()}{lines[1].Trim()}"), cancellationToken);
            return new Chromium(process, profile, connection);
        }
        catch
        {
            Kill(process);
            DeleteProfile(profile);
            throw;
        }

        void Keep(string? line)
        {
            if (line is not null)
            {
                output.Enqueue(line);
            }
        }
    }

    /// <summary>A new tab, attached, with the runtime, console log and page events switched on.</summary>
    public async Task<BrowserPage> NewPageAsync(int width, int height, CancellationToken cancellationToken)
    {
        var target = await Connection.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, null, cancellationToken);
        var attached = await Connection.SendAsync("Target.attachToTarget",
            new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true }, null, cancellationToken);
        var page = new BrowserPage(Connection, attached.GetProperty("sessionId").GetString()!);
        await page.StartAsync(width, height, cancellationToken);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Connection.DisposeAsync();
        }
        finally
        {
            Kill(_process);
            DeleteProfile(_profile);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        process.Dispose();
    }

    private static void DeleteProfile(string profile)
    {
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by a dying process: it lives in the temporary folder
        }
    }

    private static async Task<string[]> ReadPortFileAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return File.Exists(path) ? await File.ReadAllLinesAsync(path, cancellationToken) : [];
        }
        catch (IOException)
        {
            return []; // being written
        }
    }
}

/// <summary>One attached tab. Records every console error, uncaught exception and error log entry it sees.</summary>
public sealed class BrowserPage(DevToolsConnection connection, string sessionId)
{
    private readonly ConcurrentQueue<string> _problems = new();
    private int _width;
    private int _height;

    /// <summary>Console errors (<c>console.error</c>, failed assertions), uncaught exceptions and error-level log entries (failed loads among them), as text.</summary>
    public IReadOnlyCollection<string> Problems => _problems;

    internal async Task StartAsync(int width, int height, CancellationToken cancellationToken)
    {
        connection.OnEvent(sessionId, Record);
        foreach (var domain in new[] { "Runtime.enable", "Log.enable", "Page.enable" })
        {
            await SendAsync(domain, null, cancellationToken);
        }

        (_width, _height) = (width, height);
        await SetViewportAsync(width, height, cancellationToken);
    }

    public Task<JsonElement> SendAsync(string method, JsonObject? parameters, CancellationToken cancellationToken) =>
        connection.SendAsync(method, parameters, sessionId, cancellationToken);

    // Set on the document an action starts from: a navigation replaces the document (a window may be reused, a
    // document never is), so its absence, on a loaded document, means the next page is the one showing.
    private const string OldDocumentMarker = "__scaleshopOldDocument";

    /// <summary>Navigates and waits until the new document has loaded.</summary>
    public async Task NavigateAsync(Uri url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await EvaluateAsync($"document.{OldDocumentMarker} = true", cancellationToken);
        var navigation = await SendAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() }, cancellationToken);
        Assert.False(navigation.TryGetProperty("errorText", out var error), $"Navigating to {url} failed: {error}");
        await WaitForNewDocumentAsync(timeout, $"{url} to load", cancellationToken);
    }

    /// <summary>
    /// Clicks the element <paramref name="selector"/> names, as <c>element.click()</c> does (a link is followed, a
    /// submit button submits its form), and waits until the document that leads to has loaded; returns its address.
    /// A submit button whose form the browser's own validation would stop fails here, saying why, rather than
    /// waiting for a navigation that never comes.
    /// </summary>
    public Task<Uri> ClickAndWaitForNavigationAsync(string selector, TimeSpan timeout, CancellationToken cancellationToken) =>
        ActAndWaitForNavigationAsync($$"""
            (() => {
              const element = document.querySelector({{Js(selector)}});
              if (!element) return 'nothing matches ' + {{Js(selector)}};
              const form = element.form instanceof HTMLFormElement && (element.type === 'submit' || element.type === 'image') ? element.form : null;
              if (form && !form.noValidate && !element.formNoValidate && !form.checkValidity()) return {{InvalidFormJs}};
              document.{{OldDocumentMarker}} = true;
              element.click();
              return '';
            })()
            """, $"clicking {selector}", timeout, cancellationToken);

    /// <summary>
    /// Submits the form <paramref name="selector"/> names through its first submit button when it has one
    /// (<c>form.requestSubmit(button)</c>: the button's name and value are sent, as a click sends them) and waits
    /// until the resulting document has loaded; returns its address. With <paramref name="skipBrowserValidation"/>
    /// the form is marked <c>novalidate</c> first, so what the browser would refuse (a malformed email, a short
    /// password) reaches the server, as from a browser that does not validate.
    /// </summary>
    public Task<Uri> SubmitAndWaitForNavigationAsync(string selector, TimeSpan timeout, CancellationToken cancellationToken, bool skipBrowserValidation = false) =>
        ActAndWaitForNavigationAsync($$"""
            (() => {
              const form = document.querySelector({{Js(selector)}});
              if (!(form instanceof HTMLFormElement)) return 'no form matches ' + {{Js(selector)}};
              if ({{(skipBrowserValidation ? "true" : "false")}}) form.noValidate = true;
              if (!form.noValidate && !form.checkValidity()) return {{InvalidFormJs}};
              const submitter = [...form.elements].find(e => e.type === 'submit' || e.type === 'image') ?? null;
              document.{{OldDocumentMarker}} = true;
              form.requestSubmit(submitter);
              return '';
            })()
            """, $"submitting {selector}", timeout, cancellationToken);

    /// <summary>Replaces the value of the input <paramref name="selector"/> names with <paramref name="text"/>, typed as a user's keyboard would.</summary>
    public async Task FillAsync(string selector, string text, CancellationToken cancellationToken)
    {
        var found = await EvaluateAsync($$"""
            (() => {
              const input = document.querySelector({{Js(selector)}});
              if (!input) return false;
              input.value = '';
              input.focus();
              return true;
            })()
            """, cancellationToken);
        Assert.True(found.ValueKind == JsonValueKind.True, $"Nothing matches {selector} on {await UrlAsync(cancellationToken)}.");
        await SendAsync("Input.insertText", new JsonObject { ["text"] = text }, cancellationToken);
        var value = await EvaluateAsync($"document.querySelector({Js(selector)}).value", cancellationToken);
        Assert.True(value.ValueKind == JsonValueKind.String && value.GetString() == text, $"Typed '{text}' into {selector}, which holds {value}.");
    }

    /// <summary>The document's address.</summary>
    public async Task<Uri> UrlAsync(CancellationToken cancellationToken) => new((await EvaluateAsync("location.href", cancellationToken)).GetString()!);

    /// <summary>The HTTP status the document was served with (after redirects: the status of the page showing), 0 when the browser does not know one.</summary>
    public async Task<int> DocumentStatusAsync(CancellationToken cancellationToken) =>
        (await EvaluateAsync("performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0", cancellationToken)).GetInt32();

    /// <summary>How many elements <paramref name="selector"/> matches.</summary>
    public async Task<int> CountAsync(string selector, CancellationToken cancellationToken) =>
        (await EvaluateAsync($"document.querySelectorAll({Js(selector)}).length", cancellationToken)).GetInt32();

    /// <summary>The trimmed text of the first element <paramref name="selector"/> matches, or null when none does.</summary>
    public async Task<string?> TextAsync(string selector, CancellationToken cancellationToken) =>
        (await EvaluateAsync($"document.querySelector({Js(selector)})?.textContent.trim() ?? null", cancellationToken)) is { ValueKind: JsonValueKind.String } text
            ? text.GetString() : null;

    /// <summary>An attribute of the first element <paramref name="selector"/> matches, or null when there is no such element or attribute.</summary>
    public async Task<string?> AttributeAsync(string selector, string attribute, CancellationToken cancellationToken) =>
        (await EvaluateAsync($"document.querySelector({Js(selector)})?.getAttribute({Js(attribute)}) ?? null", cancellationToken)) is { ValueKind: JsonValueKind.String } value
            ? value.GetString() : null;

    /// <summary>The <c>href</c> attribute (as written, e.g. <c>/products/7</c>) of every element <paramref name="selector"/> matches, in document order.</summary>
    public async Task<IReadOnlyList<string>> HrefsAsync(string selector, CancellationToken cancellationToken) =>
        (await EvaluateAsync($"[...document.querySelectorAll({Js(selector)})].map(e => e.getAttribute('href') ?? '')", cancellationToken))
            .EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>
    /// Presses and releases one key, as a keyboard does (the browser moves focus on Tab, follows a focused link and
    /// submits a focused field's form on Enter). Only the keys the tests need: Tab, Enter.
    /// </summary>
    public async Task PressAsync(string key, CancellationToken cancellationToken)
    {
        var (code, text) = key switch
        {
            "Tab" => (9, ""),
            "Enter" => (13, "\r"),
            _ => throw new ArgumentOutOfRangeException(nameof(key), key, "Only Tab and Enter are mapped."),
        };
        var down = new JsonObject { ["type"] = "keyDown", ["key"] = key, ["code"] = key, ["windowsVirtualKeyCode"] = code, ["nativeVirtualKeyCode"] = code };
        if (text.Length > 0)
        {
            down["text"] = text;
        }

        await SendAsync("Input.dispatchKeyEvent", down, cancellationToken);
        await SendAsync("Input.dispatchKeyEvent",
            new JsonObject { ["type"] = "keyUp", ["key"] = key, ["code"] = key, ["windowsVirtualKeyCode"] = code, ["nativeVirtualKeyCode"] = code }, cancellationToken);
    }

    /// <summary>Presses <paramref name="key"/> and waits until the document it leads to has loaded; returns its address.</summary>
    public async Task<Uri> PressAndWaitForNavigationAsync(string key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await EvaluateAsync($"document.{OldDocumentMarker} = true", cancellationToken);
        await PressAsync(key, cancellationToken);
        return await WaitForNewDocumentAsync(timeout, $"the page pressing {key} leads to", cancellationToken);
    }

    /// <summary>The focused element, described as tag#id.class (what a keyboard user is on).</summary>
    public async Task<string> FocusedAsync(CancellationToken cancellationToken) =>
        (await EvaluateAsync(
            "(e => e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.classList.length ? '.' + [...e.classList].join('.') : '') : '')(document.activeElement)",
            cancellationToken)).GetString() ?? "";

    private const string InvalidFormJs =
        "'the browser refuses to submit the form: ' + [...form.elements].filter(e => e.validationMessage).map(e => (e.name || e.id) + ': ' + e.validationMessage).join('; ')";

    private static string Js(string text) => JsonSerializer.Serialize(text);

    private async Task<Uri> ActAndWaitForNavigationAsync(string action, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var refused = (await EvaluateAsync(action, cancellationToken)).GetString();
        Assert.True(string.IsNullOrEmpty(refused), $"Could not act on {await UrlAsync(cancellationToken)} ({what}): {refused}");
        return await WaitForNewDocumentAsync(timeout, $"the page {what} leads to", cancellationToken);
    }

    /// <summary>Polls until the marked document has been replaced by one that has loaded; evaluations that meet the switch-over fail and are repeated.</summary>
    private async Task<Uri> WaitForNewDocumentAsync(TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var last = "";
        while (true)
        {
            try
            {
                var state = await EvaluateAsync(
                    $"document.{OldDocumentMarker} === undefined && document.readyState === 'complete' ? location.href : 'still ' + location.href + ' (' + document.readyState + ')'",
                    cancellationToken);
                last = state.GetString() ?? "";
                if (!last.StartsWith("still ", StringComparison.Ordinal))
                {
                    return new Uri(last);
                }
            }
            catch (InvalidOperationException exception)
            {
                // The old document's context went away under the evaluation; the next one asks the new document.
                last = exception.Message;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Waited {timeout} for {what}; last seen: {last}. Problems in the page: {string.Join(" | ", _problems)}");
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Runs an expression in the page (awaiting a promise it returns) and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Runtime.evaluate",
            new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true }, cancellationToken);
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"The page threw evaluating {expression}: {exception}");
        }

        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Polls a boolean expression until it holds.</summary>
    public async Task WaitForAsync(string condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while ((await EvaluateAsync($"!!({condition})", cancellationToken)).ValueKind != JsonValueKind.True)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Waited {timeout} for {what} ({condition}). Problems in the page: {string.Join(" | ", _problems)}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Types into the element <paramref name="selector"/> names, as a user's keyboard would.</summary>
    public async Task TypeAsync(string selector, string text, CancellationToken cancellationToken)
    {
        await EvaluateAsync($"document.querySelector({JsonSerializer.Serialize(selector)}).focus()", cancellationToken);
        await SendAsync("Input.insertText", new JsonObject { ["text"] = text }, cancellationToken);
    }

    /// <summary>
    /// The whole page, not only the viewport, as PNG: the viewport is made as tall as the page for the shot (so
    /// the page is laid out without a scrollbar, as a taller screen would show it), then set back.
    /// </summary>
    public async Task<byte[]> ScreenshotAsync(CancellationToken cancellationToken)
    {
        var metrics = await SendAsync("Page.getLayoutMetrics", null, cancellationToken);
        var height = (int)Math.Ceiling(metrics.GetProperty("cssContentSize").GetProperty("height").GetDouble());
        await SetViewportAsync(_width, Math.Max(height, _height), cancellationToken);
        try
        {
            var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, cancellationToken);
            return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
        }
        finally
        {
            await SetViewportAsync(_width, _height, cancellationToken);
        }
    }

    private Task<JsonElement> SetViewportAsync(int width, int height, CancellationToken cancellationToken) =>
        SendAsync("Emulation.setDeviceMetricsOverride",
            new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false }, cancellationToken);

    private void Record(string method, JsonElement parameters)
    {
        switch (method)
        {
            case "Runtime.consoleAPICalled" when parameters.GetProperty("type").GetString() is "error" or "assert":
                _problems.Enqueue("console: " + string.Join(" ", parameters.GetProperty("args").EnumerateArray()
                    .Select(a => a.TryGetProperty("value", out var v) ? v.ToString() : a.TryGetProperty("description", out var d) ? d.GetString() : a.ToString())));
                break;
            case "Runtime.exceptionThrown":
                var details = parameters.GetProperty("exceptionDetails");
                _problems.Enqueue("exception: " + (details.TryGetProperty("exception", out var thrown) && thrown.TryGetProperty("description", out var description)
                    ? description.GetString() : details.GetProperty("text").GetString()));
                break;
            case "Log.entryAdded" when parameters.GetProperty("entry").GetProperty("level").GetString() == "error":
                var entry = parameters.GetProperty("entry");
                _problems.Enqueue($"log ({entry.GetProperty("source").GetString()}): {entry.GetProperty("text").GetString()}"
                    + (entry.TryGetProperty("url", out var url) ? $" {url.GetString()}" : ""));
                break;
        }
    }
}

/// <summary>The DevTools protocol over one WebSocket: commands matched to their answers by id, events handed to a session's listener.</summary>
public sealed class DevToolsConnection : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private const int ReceiveChunkBytes = 64 * 1024;

    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<string, Action<string, JsonElement>> _listeners = new();
    private readonly CancellationTokenSource _closing = new();
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    private DevToolsConnection(ClientWebSocket socket) => _socket = socket;

    public static async Task<DevToolsConnection> ConnectAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(endpoint, cancellationToken);
        var connection = new DevToolsConnection(socket);
        connection._receiving = Task.Run(connection.ReceiveAsync, CancellationToken.None);
        return connection;
    }

    public void OnEvent(string sessionId, Action<string, JsonElement> listener) => _listeners[sessionId] = listener;

    public async Task<JsonElement> SendAsync(string method, JsonObject? parameters, string? sessionId, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (sessionId is not null)
        {
            message["sessionId"] = sessionId;
        }

        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }

        try
        {
            return await answer.Task.WaitAsync(CommandTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Chromium did not answer {method} within {CommandTimeout}.");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[ReceiveChunkBytes];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _closing.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                using (var document = JsonDocument.Parse(message.ToArray()))
                {
                    Dispatch(document.RootElement);
                }

                message.SetLength(0);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException)
        {
            // the browser went away or we are closing: the pending commands fail below
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(new InvalidOperationException("The connection to Chromium closed."));
        }
    }

    private void Dispatch(JsonElement message)
    {
        if (message.TryGetProperty("id", out var id))
        {
            if (_pending.TryGetValue(id.GetInt32(), out var answer))
            {
                if (message.TryGetProperty("error", out var error))
                {
                    answer.TrySetException(new InvalidOperationException($"Chromium refused a command: {error}"));
                }
                else
                {
                    answer.TrySetResult(message.GetProperty("result").Clone());
                }
            }
        }
        else if (message.TryGetProperty("sessionId", out var session) && _listeners.TryGetValue(session.GetString()!, out var listener))
        {
            listener(message.GetProperty("method").GetString()!, message.GetProperty("params").Clone());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        await _receiving;
        _socket.Abort();
        _socket.Dispose();
        _sending.Dispose();
        _closing.Dispose();
    }
}
