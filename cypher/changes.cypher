// The store's change log: the outbox notifications are made from (graph_service/store/base.py Change,
// graph_service/notify). Each change is written in the transaction of the write it records.

// name: append_change
// The counter's write lock is held until the transaction commits, so writers take numbers in commit
// order: a reader that has seen change n never later finds one below n appear.
MERGE (log:ChangeLog {name: 'changes'})
SET log.last = coalesce(log.last, 0) + 1
CREATE (:Change {seq: log.last, data: $data})

// name: changes_after
MATCH (c:Change) WHERE c.seq > $seq
RETURN c.seq AS seq, c.data AS data
ORDER BY c.seq
LIMIT $limit

// name: last_change
// The counter, not the newest Change: the numbering goes on after clear() has removed the changes.
OPTIONAL MATCH (log:ChangeLog {name: 'changes'})
RETURN coalesce(log.last, 0) AS last

// name: entries_turning_on
// Entries whose counting periods (count_from/count_to, stored from domain.counting_periods) begin or end
// on the day. A scan of the entries, once a day.
MATCH (l:ListEntry)
WHERE $day IN l.count_from OR $day IN l.count_to
RETURN l.entry_id AS entry_id
ORDER BY entry_id
