using Microsoft.AspNetCore.Identity;

namespace CommandCenter.Services.Data;

public sealed class ApplicationUser : IdentityUser
{
}
