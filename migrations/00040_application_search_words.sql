-- +goose NO TRANSACTION
-- +goose Up
-- A search of several words ("street lighting in Oakham") found its candidates through the
-- trigram index (00036), which for a common phrase intersects some forty trigrams, each in a
-- tenth of the applications or more: 65 to 260 ms at a million applications before a single row
-- was read. Its whole words are far fewer and as selective, so they get an index of their own:
-- search_words is the search text lower-cased, as ILIKE compares it, then its runs of ASCII
-- letters as a text-search vector (the 'simple' configuration: no stemming, no stop words).
-- Lower-cased first, because a few other letters lower-case to ASCII ones (İ to i, the Kelvin
-- sign to k) and ILIKE matches them so. Every other character counts as a space, so a word typed
-- between two spaces is exactly one of its entries and a word typed at the end is the start of
-- one, whatever surrounds it in the text. The search
-- still matches the typed text as it always did; these words only narrow the rows it reads
-- (store.SearchApplications, SearchWords).
--
-- No transaction: the index is built CONCURRENTLY, so the applications stay writable.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_words(search_text text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('pg_catalog.simple', regexp_replace(lower(search_text), '[^a-z]+', ' ', 'g'))
$$;
-- +goose StatementEnd

-- A build cut short leaves an invalid index that IF NOT EXISTS would keep: drop it and build again.
DROP INDEX CONCURRENTLY IF EXISTS applications_search_words;
CREATE INDEX CONCURRENTLY applications_search_words ON applications USING gin (search_words(search_text));
ANALYZE applications;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS applications_search_words;
DROP FUNCTION IF EXISTS search_words(text);
