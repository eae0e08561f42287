using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <summary>Monthly budgets and the charges replies make on them; a budget change is announced to every instance's cache.</summary>
    public partial class Budgets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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

            migrationBuilder.Sql(
                "CREATE TRIGGER notify_cache_change AFTER INSERT OR UPDATE OR DELETE ON budgets " +
                "FOR EACH ROW EXECUTE FUNCTION notify_cache_change('budget', 'scope');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER notify_cache_change ON budgets;");

            migrationBuilder.DropTable(
                name: "budget_charges");

            migrationBuilder.DropTable(
                name: "budgets");
        }
    }
}
