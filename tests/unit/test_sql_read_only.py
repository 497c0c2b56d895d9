"""`sparkwing sql` refuses queries that would change the warehouse (issue 13: read-only unless
--allow-write), with one check shared by the Spark and DuckDB engines."""

from __future__ import annotations

import pytest

from sparkwing.errors import WarehouseError
from sparkwing.warehouse import check_read_only

READS = [
    "SELECT purpose, avg(int_rate) FROM credit.loans_clean GROUP BY 1",
    "select replace(purpose, 'a', 'b') from credit.loans_clean",  # a writing word as a function
    "SELECT * FROM t WHERE note = 'drop table t; insert'",  # inside a string literal
    "-- drop table t\nSELECT 1",
    "/* delete */ SELECT 1;",
    "(SELECT 1) UNION ALL (SELECT 2)",
    "WITH x AS (SELECT 1 AS n) SELECT n FROM x",
    "SELECT `update` FROM t",
    'SELECT "delete" FROM t',
    "SHOW TABLES IN credit",
    "DESCRIBE credit.loans_clean",
    "EXPLAIN SELECT 1",
    "VALUES (1), (2)",
]

WRITES = [
    ("DROP TABLE credit.loans_clean", "DROP"),
    ("insert into credit.loans_clean select * from credit.loans_clean", "INSERT"),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT"),
    ("FROM t INSERT OVERWRITE TABLE u SELECT *", "INSERT"),
    ("ALTER TABLE credit.loans_clean SET TBLPROPERTIES ('a'='b')", "ALTER"),
    ("CREATE TABLE x AS SELECT 1", "CREATE"),
    ("TRUNCATE TABLE t", "TRUNCATE"),
    ("ADD JAR /tmp/evil.jar", "ADD"),
    ("SET spark.sql.warehouse.dir=/tmp", "SET"),
    ("MSCK REPAIR TABLE t", "MSCK"),
    ("COPY (SELECT 1) TO '/tmp/x.csv'", "COPY"),
    ("CACHE TABLE t", "CACHE"),
    ("SELECT update FROM t", "UPDATE"),  # an unquoted column named like a keyword: quote it
]


@pytest.mark.parametrize("query", READS)
def test_reading_queries_pass(query):
    check_read_only(query)


@pytest.mark.parametrize(("query", "word"), WRITES)
def test_writing_queries_are_refused_with_the_word(query, word):
    with pytest.raises(WarehouseError, match=rf"would change the warehouse \({word}\)") as info:
        check_read_only(query)
    assert "--allow-write" in (info.value.hint or "")


@pytest.mark.parametrize("query", ["SELECT 1; DROP TABLE t", "select 1;select 2"])
def test_more_than_one_statement_is_refused(query):
    with pytest.raises(WarehouseError, match="more than one statement"):
        check_read_only(query)


@pytest.mark.parametrize("query", ["", "   ", " ; ", "-- only a comment"])
def test_an_empty_query_says_so(query):
    with pytest.raises(WarehouseError, match="empty"):
        check_read_only(query)


@pytest.mark.parametrize("query", ["SELECT 'unterminated", "SELECT /* open", 'SELECT "open'])
def test_unterminated_quotes_do_not_crash_the_check(query):
    check_read_only(query)  # the engine reports the syntax error; the check only reads words
