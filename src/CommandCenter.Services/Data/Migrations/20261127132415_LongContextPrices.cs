using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class LongContextPrices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "longContextInputPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: true);

            migrationBuilder.AddColumn<decimal>(
                name: "longContextOutputPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "longContextThreshold",
                table: "model_prices",
                type: "integer",
                nullable: true);

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 1,
                columns: new[] { "longContextInputPerMTok", "longContextOutputPerMTok", "longContextThreshold" },
                values: new object[] { null, null, null });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 2,
                columns: new[] { "longContextInputPerMTok", "longContextOutputPerMTok", "longContextThreshold" },
                values: new object[] { 6m, 22.5m, 200000 });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 3,
                columns: new[] { "longContextInputPerMTok", "longContextOutputPerMTok", "longContextThreshold" },
                values: new object[] { null, null, null });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 4,
                columns: new[] { "longContextInputPerMTok", "longContextOutputPerMTok", "longContextThreshold" },
                values: new object[] { null, null, null });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 5,
                columns: new[] { "longContextInputPerMTok", "longContextOutputPerMTok", "longContextThreshold" },
                values: new object[] { null, null, null });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "longContextInputPerMTok",
                table: "model_prices");

            migrationBuilder.DropColumn(
                name: "longContextOutputPerMTok",
                table: "model_prices");

            migrationBuilder.DropColumn(
                name: "longContextThreshold",
                table: "model_prices");
        }
    }
}
