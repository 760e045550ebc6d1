"""Find a string anywhere in the PostgreSQL database: every text column of every table.

Used to prove that deleting or anonymising a person leaves nothing behind,
whatever table a trace might hide in (the audit log, the admin's history,
the outbox, tables added later).
"""

from django.db import connection
from psycopg import sql

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


def text_columns():
    """(table, column) of every text, varchar and json column in the public schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND c.data_type = ANY(%s)
            ORDER BY c.table_name, c.column_name
            """,
            [list(TEXT_TYPES)],
        )
        return cursor.fetchall()


def find_everywhere(marker):
    """{"table.column": number of rows containing `marker` (case-insensitive)} where found."""
    found = {}
    pattern = "%" + marker.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    with connection.cursor() as cursor:
        for table, column in text_columns():
            query = sql.SQL("SELECT count(*) FROM {} WHERE {}::text ILIKE %s").format(
                sql.Identifier(table), sql.Identifier(column)
            )
            cursor.execute(query, [pattern])
            count = cursor.fetchone()[0]
            if count:
                found[f"{table}.{column}"] = count
    return found
