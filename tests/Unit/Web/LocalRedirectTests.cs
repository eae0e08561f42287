using CommandCenter.Web.Components.Account;

namespace CommandCenter.Unit.Web;

public sealed class LocalRedirectTests
{
    [Theory]
    [InlineData("", true)]
    [InlineData("/", true)]
    [InlineData("/c/01a2", true)]
    [InlineData("/settings?tab=keys", true)]
    [InlineData("Account/Lockout", true)]
    [InlineData("https://evil.example/x", false)]
    [InlineData("//evil.example", false)]
    [InlineData("/\\evil.example", false)]
    [InlineData("\\\\evil.example", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("/\tevil", false)]
    public void OnlyAPathOfThisSiteIsFollowedAfterSignIn(string returnUrl, bool followed)
    {
        IdentityRedirectManager.IsLocal(returnUrl).ShouldBe(followed);
    }
}
