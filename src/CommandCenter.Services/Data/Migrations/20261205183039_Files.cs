using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class Files : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "attachments",
                table: "task_trace",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "attachments",
                table: "messages",
                type: "jsonb",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "files",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ownerId = table.Column<string>(type: "text", nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    mediaType = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    width = table.Column<int>(type: "integer", nullable: true),
                    height = table.Column<int>(type: "integer", nullable: true),
                    pages = table.Column<int>(type: "integer", nullable: true),
                    tokens = table.Column<int>(type: "integer", nullable: false),
                    content = table.Column<byte[]>(type: "bytea", nullable: false),
                    createdAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_files", x => x.id);
                    table.ForeignKey(
                        name: "FK_files_AspNetUsers_ownerId",
                        column: x => x.ownerId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Images and PDFs are compressed already: TOAST stores them out of line without trying to compress them again.
            migrationBuilder.Sql("ALTER TABLE files ALTER COLUMN content SET STORAGE EXTERNAL;");

            migrationBuilder.CreateTable(
                name: "anthropic_files",
                columns: table => new
                {
                    fileId = table.Column<string>(type: "character varying(64)", nullable: false),
                    keyVersion = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    anthropicFileId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    createdAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_anthropic_files", x => new { x.fileId, x.keyVersion });
                    table.ForeignKey(
                        name: "FK_anthropic_files_files_fileId",
                        column: x => x.fileId,
                        principalTable: "files",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_messages_attachments",
                table: "messages",
                column: "attachments")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "jsonb_path_ops" });

            migrationBuilder.CreateIndex(
                name: "IX_files_ownerId_sha256",
                table: "files",
                columns: new[] { "ownerId", "sha256" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "anthropic_files");

            migrationBuilder.DropTable(
                name: "files");

            migrationBuilder.DropIndex(
                name: "IX_messages_attachments",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "attachments",
                table: "task_trace");

            migrationBuilder.DropColumn(
                name: "attachments",
                table: "messages");
        }
    }
}
