using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class ReplyActivity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "activity",
                table: "messages",
                type: "jsonb",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "activity",
                table: "messages");
        }
    }
}
