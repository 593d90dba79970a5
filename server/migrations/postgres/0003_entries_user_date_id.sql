-- A person's entries come in (date, id) order straight from the index: the week read
-- (`ORDER BY work_date, id`, the most frequent statement) then needs no sort.
DROP INDEX entries_user_date;
CREATE INDEX entries_user_date_id ON entries (user_id, work_date, id);
