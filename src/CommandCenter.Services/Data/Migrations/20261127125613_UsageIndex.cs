using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <summary>The usage report reads trace_sessions alone: the owner is repeated on each session, and one covering index serves any range of days.</summary>
    public partial class UsageIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.AddColumn<string>(
                name: "ownerId",
                table: "trace_sessions",
                type: "character varying(450)",
                maxLength: 450,
                nullable: false,
                defaultValue: "");

            // Sessions recorded before this migration take their trace's owner.
            migrationBuilder.Sql("""UPDATE trace_sessions s SET "ownerId" = t."ownerId" FROM task_trace t WHERE t.id = s."taskTraceId";""");

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "ownerId",
                table: "trace_sessions");

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt");
        }
    }
}
