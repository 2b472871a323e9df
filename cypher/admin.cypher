// Operations on the whole database.

// name: delete_everything
// Needs an auto-commit transaction (CALL ... IN TRANSACTIONS). The change log's counter stays, so its
// numbering goes on and a reader's place in the log stays meaningful.
MATCH (n) WHERE NOT n:ChangeLog
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS

// name: server_version
CALL dbms.components() YIELD name, versions, edition
RETURN name, versions[0] AS version, edition

// name: get_meta
MATCH (m:StoreMeta {name: $name})
RETURN m.value AS value

// name: set_meta
MERGE (m:StoreMeta {name: $name})
SET m.value = $value

// name: all_enterprises
MATCH (e:Enterprise) RETURN properties(e) AS props ORDER BY e.uscc

// name: all_persons
MATCH (p:Person) RETURN properties(p) AS props ORDER BY p.person_key

// name: all_roles
MATCH (h)-[r]->(e:Enterprise)
WHERE r.role_id IS NOT NULL
RETURN type(r) AS type, properties(r) AS props, e.uscc AS enterprise,
       coalesce(h.person_key, h.uscc) AS holder_key,
       CASE WHEN h:Person THEN 'person' ELSE 'enterprise' END AS holder_kind
ORDER BY r.role_id

// name: all_entries
MATCH (l:ListEntry)
CALL (l) {
  OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
  WITH n, p ORDER BY n.ordinal
  RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named
}
RETURN properties(l) AS props, named ORDER BY l.entry_id

// name: all_events
MATCH (l:ListEntry)-[:HAS_EVENT]->(e:EntryEvent)
RETURN properties(e) AS props ORDER BY l.entry_id, e.seq

// name: all_feedback
MATCH (l:ListEntry)-[:HAS_FEEDBACK]->(f:Feedback)
RETURN properties(f) AS props ORDER BY l.entry_id, f.seq

// name: entries_without_periods
// Entries written before their counting periods were stored (or imported without them): a batch at a time.
MATCH (l:ListEntry) WHERE l.count_from IS NULL
WITH l LIMIT $limit
CALL (l) {
  OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
  WITH n, p ORDER BY n.ordinal
  RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named
}
RETURN properties(l) AS props, named

// name: set_entry_periods
// The periods graph_service/domain/history.py computed for each entry; the entry is not otherwise touched.
UNWIND $rows AS row
MATCH (l:ListEntry {entry_id: row.entry_id})
SET l.count_from = row.count_from, l.count_to = row.count_to

// name: set_missing_org_codes
// Enterprises written before org_code was stored beside the USCC get it, as neo4j_store._searchable
// derives it (Enterprise.org_code): positions 9-17 of a valid code. Needs an auto-commit transaction.
MATCH (e:Enterprise) WHERE e.org_code IS NULL AND e.id_valid = true
CALL (e) { SET e.org_code = substring(e.uscc, 8, 9) } IN TRANSACTIONS OF 10000 ROWS

// name: node_count
// Read from the count store, without a scan: whether a database is empty before an offline import.
MATCH (n) RETURN count(n) AS nodes
