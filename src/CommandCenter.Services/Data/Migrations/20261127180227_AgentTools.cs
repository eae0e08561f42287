using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class AgentTools : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "thinking",
                table: "agents",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "webFetch",
                table: "agents",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "webSearch",
                table: "agents",
                type: "jsonb",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "thinking",
                table: "agents");

            migrationBuilder.DropColumn(
                name: "webFetch",
                table: "agents");

            migrationBuilder.DropColumn(
                name: "webSearch",
                table: "agents");
        }
    }
}
