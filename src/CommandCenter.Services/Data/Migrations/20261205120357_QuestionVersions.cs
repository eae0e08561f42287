using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class QuestionVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "chosenReplyId",
                table: "messages",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "versionOfId",
                table: "messages",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            // Questions edited before versions were kept: an edit was stored as the next question after the one it
            // replaced (only the last question could be edited, and nothing but an edit superseded a question). Each
            // edit names the first version of its chain. Which reply a replaced version had chosen was not kept.
            migrationBuilder.Sql(
                """
                WITH RECURSIVE questions AS (
                    SELECT id, lag(id) OVER w AS "previousId", coalesce(lag(superseded) OVER w, false) AS "previousSuperseded"
                    FROM messages WHERE role = 'user'
                    WINDOW w AS (PARTITION BY "conversationId" ORDER BY position)
                ), roots AS (
                    SELECT id, id AS root FROM questions WHERE NOT "previousSuperseded"
                    UNION ALL
                    SELECT q.id, r.root FROM questions q JOIN roots r ON q."previousId" = r.id WHERE q."previousSuperseded"
                )
                UPDATE messages m SET "versionOfId" = roots.root FROM roots WHERE m.id = roots.id AND roots.root <> roots.id;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "chosenReplyId",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "versionOfId",
                table: "messages");
        }
    }
}
