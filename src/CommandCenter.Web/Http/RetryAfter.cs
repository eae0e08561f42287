using System.Globalization;

namespace CommandCenter.Web.Http;

internal static class RetryAfter
{
    /// <summary>Sets <c>Retry-After</c> in whole seconds, rounded up.</summary>
    public static void Set(HttpResponse response, TimeSpan wait) =>
        response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(wait.TotalSeconds, 1))).ToString(CultureInfo.InvariantCulture);
}
