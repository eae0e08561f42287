using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class ThinkingTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "thinkingTokens",
                table: "trace_sessions",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "thinkingTokens",
                table: "trace_sessions");
        }
    }
}
