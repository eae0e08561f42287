using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommandCenter.Services.Data.Migrations
{
    /// <summary>
    /// Every change to a row that instances keep in <see cref="ShortCache"/> announces the entry it invalidates on the
    /// cache_changes channel, inside the changing transaction (PostgreSQL delivers it at commit, never for a rollback).
    /// The payload is the entry's key: the trigger's first argument, ':', then the named column of the row.
    /// </summary>
    public partial class CacheChangeNotices : Migration
    {
        private static readonly (string Table, string Events, string Prefix, string Column)[] Watched =
        [
            ("agents", "UPDATE OR DELETE", "agent", "id"),
            ("model_prices", "INSERT OR UPDATE OR DELETE", "price", "model"),
            ("\"AspNetUsers\"", "UPDATE OR DELETE", "sign-in", "Id"),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION notify_cache_change() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    changed jsonb;
                BEGIN
                    IF TG_OP = 'DELETE' THEN
                        changed := to_jsonb(OLD);
                    ELSE
                        changed := to_jsonb(NEW);
                    END IF;
                    PERFORM pg_notify('cache_changes', TG_ARGV[0] || ':' || (changed ->> TG_ARGV[1]));
                    RETURN NULL;
                END
                $$;
                """);
            foreach (var (table, events, prefix, column) in Watched)
            {
                migrationBuilder.Sql($"""
                    CREATE TRIGGER notify_cache_change AFTER {events} ON {table}
                    FOR EACH ROW EXECUTE FUNCTION notify_cache_change('{prefix}', '{column}');
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (table, _, _, _) in Watched)
            {
                migrationBuilder.Sql($"DROP TRIGGER notify_cache_change ON {table};");
            }

            migrationBuilder.Sql("DROP FUNCTION notify_cache_change();");
        }
    }
}
