using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class PausedTurns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.AddColumn<bool>(
                name: "continued",
                table: "trace_sessions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "apiKeyId", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "webSearchRequests", "toolFees", "continued" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "continued",
                table: "trace_sessions");

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "apiKeyId", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "webSearchRequests", "toolFees" });
        }
    }
}
