using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <summary>
    /// Budgets and the charges replies make on them, integration keys (stored hashed) and the key each trace came with,
    /// server tool fees (web search) as price rows and on the trace. Budget and key changes are announced to every
    /// instance's cache (see CacheChangeNotices).
    /// </summary>
    public partial class SpendControls : Migration
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

            migrationBuilder.AddColumn<decimal>(
                name: "toolFees",
                table: "trace_sessions",
                type: "numeric(18,6)",
                precision: 18,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<decimal>(
                name: "webSearchPerThousand",
                table: "trace_sessions",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<int>(
                name: "webSearchRequests",
                table: "trace_sessions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "budget_charges",
                columns: table => new
                {
                    traceId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    scope = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    subjectId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    month = table.Column<DateOnly>(type: "date", nullable: false),
                    amount = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    settled = table.Column<bool>(type: "boolean", nullable: false),
                    instanceKey = table.Column<long>(type: "bigint", nullable: false),
                    createdAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_budget_charges", x => new { x.traceId, x.scope, x.subjectId });
                });

            migrationBuilder.CreateTable(
                name: "budgets",
                columns: table => new
                {
                    scope = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    subjectId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    monthlyLimit = table.Column<decimal>(type: "numeric(18,6)", precision: 18, scale: 6, nullable: false),
                    createdAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_budgets", x => new { x.scope, x.subjectId });
                });

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

            migrationBuilder.CreateTable(
                name: "tool_prices",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    tool = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    perThousandRequests = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    effectiveFrom = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tool_prices", x => x.id);
                });

            migrationBuilder.InsertData(
                table: "tool_prices",
                columns: new[] { "id", "effectiveFrom", "perThousandRequests", "tool" },
                values: new object[] { 1, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 10m, "web_search" });

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "apiKeyId", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "webSearchRequests", "toolFees" });

            migrationBuilder.CreateIndex(
                name: "IX_budget_charges_instanceKey",
                table: "budget_charges",
                column: "instanceKey",
                filter: "NOT settled");

            migrationBuilder.CreateIndex(
                name: "IX_budget_charges_subjectId_month_scope",
                table: "budget_charges",
                columns: new[] { "subjectId", "month", "scope" })
                .Annotation("Npgsql:IndexInclude", new[] { "amount", "settled" });

            migrationBuilder.CreateIndex(
                name: "IX_budgets_subjectId",
                table: "budgets",
                column: "subjectId");

            migrationBuilder.CreateIndex(
                name: "IX_integration_keys_hash",
                table: "integration_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_integration_keys_ownerId",
                table: "integration_keys",
                column: "ownerId");

            migrationBuilder.CreateIndex(
                name: "IX_tool_prices_tool_effectiveFrom",
                table: "tool_prices",
                columns: new[] { "tool", "effectiveFrom" },
                unique: true);

            migrationBuilder.Sql(
                "CREATE TRIGGER notify_cache_change AFTER INSERT OR UPDATE OR DELETE ON budgets " +
                "FOR EACH ROW EXECUTE FUNCTION notify_cache_change('budget', 'scope');");
            migrationBuilder.Sql(
                "CREATE TRIGGER notify_cache_change AFTER UPDATE OR DELETE ON integration_keys " +
                "FOR EACH ROW EXECUTE FUNCTION notify_cache_change('integration-key', 'hash');");
            migrationBuilder.Sql(
                "CREATE TRIGGER notify_cache_change AFTER INSERT OR UPDATE OR DELETE ON tool_prices " +
                "FOR EACH ROW EXECUTE FUNCTION notify_cache_change('price', 'tool');");

            // The usage report groups by day: without statistics on that expression the planner takes every row for a
            // group, sizes its hash table past work_mem and sorts instead (30 days of 1M traces: 230 → 90 ms).
            migrationBuilder.Sql("CREATE STATISTICS trace_sessions_day ON ((\"createdAt\" AT TIME ZONE 'UTC')::date) FROM trace_sessions;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER notify_cache_change ON budgets;");
            migrationBuilder.Sql("DROP TRIGGER notify_cache_change ON integration_keys;");
            migrationBuilder.Sql("DROP TRIGGER notify_cache_change ON tool_prices;");
            migrationBuilder.Sql("DROP STATISTICS trace_sessions_day;");

            migrationBuilder.DropTable(
                name: "budget_charges");

            migrationBuilder.DropTable(
                name: "budgets");

            migrationBuilder.DropTable(
                name: "integration_keys");

            migrationBuilder.DropTable(
                name: "tool_prices");

            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "apiKeyId",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "toolFees",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "webSearchPerThousand",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "webSearchRequests",
                table: "trace_sessions");

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens" });
        }
    }
}
