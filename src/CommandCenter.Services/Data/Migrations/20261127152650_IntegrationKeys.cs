using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <summary>Integration keys (stored hashed), the key each trace came with, and revocation announced to every instance's cache.</summary>
    public partial class IntegrationKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.AddColumn<string>(
                name: "apiKeyId",
                table: "trace_sessions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "integration_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ownerId = table.Column<string>(type: "text", nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    messagesPerMinute = table.Column<int>(type: "integer", nullable: true),
                    createdAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    lastUsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_integration_keys", x => x.id);
                    table.ForeignKey(
                        name: "FK_integration_keys_AspNetUsers_ownerId",
                        column: x => x.ownerId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "apiKeyId", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens" });

            migrationBuilder.CreateIndex(
                name: "IX_integration_keys_hash",
                table: "integration_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_integration_keys_ownerId",
                table: "integration_keys",
                column: "ownerId");

            migrationBuilder.Sql(
                "CREATE TRIGGER notify_cache_change AFTER UPDATE OR DELETE ON integration_keys " +
                "FOR EACH ROW EXECUTE FUNCTION notify_cache_change('integration-key', 'hash');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER notify_cache_change ON integration_keys;");

            migrationBuilder.DropTable(
                name: "integration_keys");

            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "apiKeyId",
                table: "trace_sessions");

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens" });
        }
    }
}
