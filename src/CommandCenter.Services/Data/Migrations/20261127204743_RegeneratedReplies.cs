using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class RegeneratedReplies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "replyToId",
                table: "messages",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "superseded",
                table: "messages",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "replyToId",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "superseded",
                table: "messages");
        }
    }
}
