using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace CommandCenter.Services.Data.Migrations
{
    /// <inheritdoc />
    public partial class TodaysClaude : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.RenameColumn(
                name: "longContextThreshold",
                table: "model_prices",
                newName: "tierThreshold");

            migrationBuilder.RenameColumn(
                name: "longContextOutputPerMTok",
                table: "model_prices",
                newName: "tierOutputPerMTok");

            migrationBuilder.RenameColumn(
                name: "longContextInputPerMTok",
                table: "model_prices",
                newName: "tierInputPerMTok");

            migrationBuilder.AddColumn<decimal>(
                name: "cacheReadPricePerMTok",
                table: "trace_sessions",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<decimal>(
                name: "cacheWrite1hPricePerMTok",
                table: "trace_sessions",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<decimal>(
                name: "cacheWrite5mPricePerMTok",
                table: "trace_sessions",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<bool>(
                name: "priceTierApplied",
                table: "trace_sessions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<decimal>(
                name: "cacheReadPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<decimal>(
                name: "cacheWrite1hPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<decimal>(
                name: "cacheWrite5mPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<decimal>(
                name: "tierCacheReadPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: true);

            migrationBuilder.AddColumn<decimal>(
                name: "tierCacheWrite1hPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: true);

            migrationBuilder.AddColumn<decimal>(
                name: "tierCacheWrite5mPerMTok",
                table: "model_prices",
                type: "numeric(12,6)",
                precision: 12,
                scale: 6,
                nullable: true);

            // Until now a cache write cost 1.25× (5 minutes) or 2× (1 hour) input and a read 0.1×: every existing row, and
            // every trace's copy of the rates it was charged, keeps exactly what it was, now as explicit rates.
            migrationBuilder.Sql("""
                UPDATE model_prices SET "cacheWrite5mPerMTok" = "inputPerMTok" * 1.25, "cacheWrite1hPerMTok" = "inputPerMTok" * 2,
                    "cacheReadPerMTok" = "inputPerMTok" * 0.1;
                UPDATE model_prices SET "tierCacheWrite5mPerMTok" = "tierInputPerMTok" * 1.25, "tierCacheWrite1hPerMTok" = "tierInputPerMTok" * 2,
                    "tierCacheReadPerMTok" = "tierInputPerMTok" * 0.1
                WHERE "tierThreshold" IS NOT NULL;
                UPDATE trace_sessions SET "cacheWrite5mPricePerMTok" = "inputPricePerMTok" * 1.25, "cacheWrite1hPricePerMTok" = "inputPricePerMTok" * 2,
                    "cacheReadPricePerMTok" = "inputPricePerMTok" * 0.1;
                UPDATE trace_sessions s SET "priceTierApplied" = true
                FROM model_prices p
                WHERE p.id = s."modelPriceId" AND p."tierThreshold" IS NOT NULL
                    AND s."tokensIn" + s."cacheWriteTokens" + s."cacheWrite1hTokens" + s."cacheReadTokens" > p."tierThreshold";
                """);

            migrationBuilder.CreateTable(
                name: "models",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    displayName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    aliases = table.Column<string[]>(type: "text[]", nullable: false),
                    line = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    releasedOn = table.Column<DateOnly>(type: "date", nullable: true),
                    deprecatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    retiresAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    replacement = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    contextWindow = table.Column<int>(type: "integer", nullable: false),
                    maxOutputTokens = table.Column<int>(type: "integer", nullable: false),
                    capabilities = table.Column<string>(type: "jsonb", nullable: false),
                    refreshedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_models", x => x.id);
                });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 1,
                columns: new[] { "cacheReadPerMTok", "cacheWrite1hPerMTok", "cacheWrite5mPerMTok", "tierCacheReadPerMTok", "tierCacheWrite1hPerMTok", "tierCacheWrite5mPerMTok" },
                values: new object[] { 0.5m, 10m, 6.25m, null, null, null });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 2,
                columns: new[] { "cacheReadPerMTok", "cacheWrite1hPerMTok", "cacheWrite5mPerMTok", "tierCacheReadPerMTok", "tierCacheWrite1hPerMTok", "tierCacheWrite5mPerMTok" },
                values: new object[] { 0.3m, 6m, 3.75m, 0.6m, 12m, 7.50m });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 3,
                columns: new[] { "cacheReadPerMTok", "cacheWrite1hPerMTok", "cacheWrite5mPerMTok", "tierCacheReadPerMTok", "tierCacheWrite1hPerMTok", "tierCacheWrite5mPerMTok" },
                values: new object[] { 0.1m, 2m, 1.25m, null, null, null });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 4,
                columns: new[] { "cacheReadPerMTok", "cacheWrite1hPerMTok", "cacheWrite5mPerMTok", "tierCacheReadPerMTok", "tierCacheWrite1hPerMTok", "tierCacheWrite5mPerMTok" },
                values: new object[] { 1.5m, 30m, 18.75m, null, null, null });

            migrationBuilder.UpdateData(
                table: "model_prices",
                keyColumn: "id",
                keyValue: 5,
                columns: new[] { "cacheReadPerMTok", "cacheWrite1hPerMTok", "cacheWrite5mPerMTok", "tierCacheReadPerMTok", "tierCacheWrite1hPerMTok", "tierCacheWrite5mPerMTok" },
                values: new object[] { 0.08m, 1.6m, 1.000m, null, null, null });

            migrationBuilder.InsertData(
                table: "models",
                columns: new[] { "id", "aliases", "capabilities", "contextWindow", "deprecatedAt", "displayName", "line", "maxOutputTokens", "refreshedAt", "releasedOn", "replacement", "retiresAt", "status" },
                values: new object[,]
                {
                    { "claude-3-5-haiku", new[] { "claude-3-5-haiku-20241022" }, "{\"thinkingTypes\":[\"disabled\"],\"efforts\":[],\"defaultEffort\":null,\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"summarized\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":true}", 200000, new DateTimeOffset(new DateTime(2025, 12, 19, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "Claude Haiku 3.5", "haiku", 8192, null, new DateOnly(2024, 10, 22), "claude-haiku-4-5", new DateTimeOffset(new DateTime(2026, 2, 19, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "retired" },
                    { "claude-fable-5", new string[0], "{\"thinkingTypes\":[\"adaptive\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":true,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":false}", 1000000, null, "Claude Fable 5", "fable", 128000, null, new DateOnly(2026, 6, 9), null, null, "legacy" },
                    { "claude-fable-5-1", new string[0], "{\"thinkingTypes\":[\"adaptive\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":true,\"toolTextInThinking\":false,\"forcedToolChoice\":false,\"samplingParameters\":false}", 1000000, null, "Claude Fable 5.1", "fable", 128000, null, new DateOnly(2026, 9, 1), null, null, "legacy" },
                    { "claude-fable-5-2", new string[0], "{\"thinkingTypes\":[\"adaptive\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":false,\"samplingParameters\":false}", 1000000, null, "Claude Fable 5.2", "fable", 128000, null, new DateOnly(2026, 11, 9), null, null, "active" },
                    { "claude-haiku-4-5", new[] { "claude-haiku-4-5-20251001" }, "{\"thinkingTypes\":[\"enabled\",\"disabled\"],\"efforts\":[],\"defaultEffort\":null,\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"summarized\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":true}", 200000, null, "Claude Haiku 4.5", "haiku", 64000, null, new DateOnly(2025, 10, 15), null, null, "legacy" },
                    { "claude-haiku-5-5", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"medium\",\"disabledMaxEffort\":\"high\",\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":false}", 1000000, null, "Claude Haiku 5.5", "haiku", 128000, null, new DateOnly(2026, 10, 7), null, null, "active" },
                    { "claude-mythos-5", new string[0], "{\"thinkingTypes\":[\"adaptive\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":false}", 1000000, null, "Claude Mythos 5", "mythos", 128000, null, new DateOnly(2026, 6, 9), null, null, "legacy" },
                    { "claude-mythos-5-1", new string[0], "{\"thinkingTypes\":[\"adaptive\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":true,\"toolTextInThinking\":false,\"forcedToolChoice\":false,\"samplingParameters\":false}", 1000000, null, "Claude Mythos 5.1", "mythos", 128000, null, new DateOnly(2026, 9, 1), null, null, "legacy" },
                    { "claude-mythos-5-2", new string[0], "{\"thinkingTypes\":[\"adaptive\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":false,\"samplingParameters\":false}", 1000000, null, "Claude Mythos 5.2", "mythos", 128000, null, new DateOnly(2026, 11, 9), null, null, "active" },
                    { "claude-opus-4-1", new[] { "claude-opus-4-1-20250805" }, "{\"thinkingTypes\":[\"enabled\",\"disabled\"],\"efforts\":[],\"defaultEffort\":null,\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"summarized\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":true}", 200000, new DateTimeOffset(new DateTime(2026, 6, 5, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "Claude Opus 4.1", "opus", 32000, null, new DateOnly(2025, 8, 5), "claude-opus-4-8", new DateTimeOffset(new DateTime(2026, 8, 5, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "retired" },
                    { "claude-opus-4-5", new[] { "claude-opus-4-5-20251101" }, "{\"thinkingTypes\":[\"enabled\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"summarized\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":true}", 200000, new DateTimeOffset(new DateTime(2026, 11, 23, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "Claude Opus 4.5", "opus", 64000, null, new DateOnly(2025, 11, 24), "claude-opus-5-5", new DateTimeOffset(new DateTime(2027, 1, 22, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "deprecated" },
                    { "claude-opus-4-6", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"enabled\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"summarized\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":true}", 1000000, null, "Claude Opus 4.6", "opus", 128000, null, new DateOnly(2026, 2, 5), null, null, "legacy" },
                    { "claude-opus-4-7", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":false}", 1000000, null, "Claude Opus 4.7", "opus", 128000, null, new DateOnly(2026, 4, 16), null, null, "legacy" },
                    { "claude-opus-4-8", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":false}", 1000000, null, "Claude Opus 4.8", "opus", 128000, null, new DateOnly(2026, 5, 28), null, null, "legacy" },
                    { "claude-opus-5", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":\"high\",\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":false}", 1000000, null, "Claude Opus 5", "opus", 128000, null, new DateOnly(2026, 7, 24), null, null, "legacy" },
                    { "claude-opus-5-5", new string[0], "{\"thinkingTypes\":[\"adaptive\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"medium\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":true,\"toolTextInThinking\":true,\"forcedToolChoice\":false,\"samplingParameters\":false}", 1000000, null, "Claude Opus 5.5", "opus", 128000, null, new DateOnly(2026, 9, 22), null, null, "active" },
                    { "claude-sonnet-4-5", new[] { "claude-sonnet-4-5-20250929" }, "{\"thinkingTypes\":[\"enabled\",\"disabled\"],\"efforts\":[],\"defaultEffort\":null,\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"summarized\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":true}", 200000, new DateTimeOffset(new DateTime(2026, 9, 30, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "Claude Sonnet 4.5", "sonnet", 64000, null, new DateOnly(2025, 9, 29), "claude-sonnet-5-5", new DateTimeOffset(new DateTime(2026, 11, 30, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), "retired" },
                    { "claude-sonnet-4-6", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"enabled\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":false,\"displayDefault\":\"summarized\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":true}", 1000000, null, "Claude Sonnet 4.6", "sonnet", 64000, null, new DateOnly(2026, 2, 17), null, null, "legacy" },
                    { "claude-sonnet-5", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"disabled\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":null,\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":false,\"toolTextInThinking\":false,\"forcedToolChoice\":true,\"samplingParameters\":false}", 1000000, null, "Claude Sonnet 5", "sonnet", 128000, null, new DateOnly(2026, 6, 30), null, null, "legacy" },
                    { "claude-sonnet-5-5", new string[0], "{\"thinkingTypes\":[\"adaptive\",\"between_tools\"],\"efforts\":[\"low\",\"medium\",\"high\",\"xhigh\",\"max\"],\"defaultEffort\":\"high\",\"disabledMaxEffort\":null,\"betweenToolsMaxEffort\":\"high\",\"thinksByDefault\":true,\"displayDefault\":\"omitted\",\"displayUpdates\":true,\"toolTextInThinking\":true,\"forcedToolChoice\":false,\"samplingParameters\":false}", 1000000, null, "Claude Sonnet 5.5", "sonnet", 128000, null, new DateOnly(2026, 9, 28), null, null, "active" }
                });

            // Today's models at today's prices (ANTHROPIC.md §1b, source O1), each from its release. Inserted by SQL, not
            // HasData: an existing install's own rows may hold the ids HasData would take; a row the install already has
            // (the same model and moment) is left as it is.
            migrationBuilder.Sql("""
                INSERT INTO model_prices (model, "inputPerMTok", "cacheWrite5mPerMTok", "cacheWrite1hPerMTok", "cacheReadPerMTok", "outputPerMTok",
                    "contextWindow", "effectiveFrom", "tierThreshold", "tierInputPerMTok", "tierCacheWrite5mPerMTok", "tierCacheWrite1hPerMTok",
                    "tierCacheReadPerMTok", "tierOutputPerMTok")
                SELECT v.* FROM (VALUES
                    ('claude-fable-5-2',   8.00, 10.00, 16.00, 0.20, 40.00, 1000000, timestamptz '2026-11-09Z', NULL::int, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric),
                    ('claude-mythos-5-2',  8.00, 10.00, 16.00, 0.20, 40.00, 1000000, timestamptz '2026-11-09Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-fable-5-1',  10.00, 12.50, 20.00, 0.25, 50.00, 1000000, timestamptz '2026-09-01Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-mythos-5-1', 10.00, 12.50, 20.00, 0.25, 50.00, 1000000, timestamptz '2026-09-01Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-fable-5',    10.00, 12.50, 20.00, 1.00, 50.00, 1000000, timestamptz '2026-06-09Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-mythos-5',   10.00, 12.50, 20.00, 1.00, 50.00, 1000000, timestamptz '2026-06-09Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-opus-5-5',    4.00,  5.00,  8.00, 0.20, 20.00, 1000000, timestamptz '2026-09-22Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-opus-5',      5.00,  6.25, 10.00, 0.50, 25.00, 1000000, timestamptz '2026-07-24Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-opus-4-8',    5.00,  6.25, 10.00, 0.50, 25.00, 1000000, timestamptz '2026-05-28Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-opus-4-7',    5.00,  6.25, 10.00, 0.50, 25.00, 1000000, timestamptz '2026-04-16Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-opus-4-5',    5.00,  6.25, 10.00, 0.50, 25.00,  200000, timestamptz '2025-11-24Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    -- Sonnet 5.5's cache reads went from 0.1x to 0.05x input on 2026-10-07 (O1, T1, T2).
                    ('claude-sonnet-5-5',  2.00,  2.50,  4.00, 0.20, 10.00, 1000000, timestamptz '2026-09-28Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-sonnet-5-5',  2.00,  2.50,  4.00, 0.10, 10.00, 1000000, timestamptz '2026-10-07Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-sonnet-5',    2.00,  2.50,  4.00, 0.20, 10.00, 1000000, timestamptz '2026-06-30Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    ('claude-sonnet-4-6',  3.00,  3.75,  6.00, 0.30, 15.00, 1000000, timestamptz '2026-02-17Z', NULL, NULL, NULL, NULL, NULL, NULL),
                    -- Haiku 5.5: a prompt over 100,000 tokens pays the higher card for every token of the request (O1, O4).
                    ('claude-haiku-5-5',   0.10, 0.125,  0.20, 0.01,  0.50, 1000000, timestamptz '2026-10-07Z', 100000, 0.50, 0.625, 1.00, 0.05, 2.50)
                ) AS v(model, input, write5m, write1h, read, output, "contextWindow", "effectiveFrom", threshold, "tierInput", "tierWrite5m", "tierWrite1h", "tierRead", "tierOutput")
                WHERE NOT EXISTS (SELECT 1 FROM model_prices p WHERE p.model = v.model AND p."effectiveFrom" = v."effectiveFrom");
                """);

            // A model's change reaches every instance's cache at once, as agents' and prices' do (migration CacheChangeNotices).
            migrationBuilder.Sql("""
                CREATE TRIGGER notify_cache_change AFTER INSERT OR UPDATE OR DELETE ON models
                FOR EACH ROW EXECUTE FUNCTION notify_cache_change('model', 'id');
                """);

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "apiKeyId", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "webSearchRequests", "toolFees", "continued", "inputPricePerMTok", "cacheWrite5mPricePerMTok", "cacheWrite1hPricePerMTok", "cacheReadPricePerMTok", "outputPricePerMTok" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER notify_cache_change ON models;");
            migrationBuilder.DropTable(
                name: "models");

            migrationBuilder.DropIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "cacheReadPricePerMTok",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "cacheWrite1hPricePerMTok",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "cacheWrite5mPricePerMTok",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "priceTierApplied",
                table: "trace_sessions");

            migrationBuilder.DropColumn(
                name: "cacheReadPerMTok",
                table: "model_prices");

            migrationBuilder.DropColumn(
                name: "cacheWrite1hPerMTok",
                table: "model_prices");

            migrationBuilder.DropColumn(
                name: "cacheWrite5mPerMTok",
                table: "model_prices");

            migrationBuilder.DropColumn(
                name: "tierCacheReadPerMTok",
                table: "model_prices");

            migrationBuilder.DropColumn(
                name: "tierCacheWrite1hPerMTok",
                table: "model_prices");

            migrationBuilder.DropColumn(
                name: "tierCacheWrite5mPerMTok",
                table: "model_prices");

            migrationBuilder.RenameColumn(
                name: "tierThreshold",
                table: "model_prices",
                newName: "longContextThreshold");

            migrationBuilder.RenameColumn(
                name: "tierOutputPerMTok",
                table: "model_prices",
                newName: "longContextOutputPerMTok");

            migrationBuilder.RenameColumn(
                name: "tierInputPerMTok",
                table: "model_prices",
                newName: "longContextInputPerMTok");

            migrationBuilder.CreateIndex(
                name: "IX_trace_sessions_createdAt",
                table: "trace_sessions",
                column: "createdAt")
                .Annotation("Npgsql:IndexInclude", new[] { "ownerId", "agentId", "modelUsed", "apiKeyId", "status", "cost", "costEstimated", "tokensIn", "tokensOut", "cacheWriteTokens", "cacheWrite1hTokens", "cacheReadTokens", "webSearchRequests", "toolFees", "continued" });
        }
    }
}
