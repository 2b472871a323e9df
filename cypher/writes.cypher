// Batch upserts. Each takes $rows, one map per record (its properties) with its `fingerprint` (a hash of the record
// without loaded_at); a record whose fingerprint is unchanged is not rewritten, so reloading the same
// data changes nothing. Each returns what it did: created, updated, unchanged.

// name: upsert_enterprises
UNWIND $rows AS row
MERGE (e:Enterprise {uscc: row.uscc})
WITH e, row, e.fingerprint AS before
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.fingerprint THEN [1] ELSE [] END | SET e = row)
RETURN sum(CASE WHEN before IS NULL THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN before IS NOT NULL AND before <> row.fingerprint THEN 1 ELSE 0 END) AS updated,
       sum(CASE WHEN before = row.fingerprint THEN 1 ELSE 0 END) AS unchanged

// name: upsert_persons
UNWIND $rows AS row
MERGE (p:Person {person_key: row.person_key})
WITH p, row, p.fingerprint AS before
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.fingerprint THEN [1] ELSE [] END | SET p = row)
RETURN sum(CASE WHEN before IS NULL THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN before IS NOT NULL AND before <> row.fingerprint THEN 1 ELSE 0 END) AS updated,
       sum(CASE WHEN before = row.fingerprint THEN 1 ELSE 0 END) AS unchanged

// name: missing_nodes
// The keys among $usccs and $person_keys that no node has; checked before a batch refers to them.
CALL () {
  UNWIND $usccs AS key
  OPTIONAL MATCH (e:Enterprise {uscc: key})
  WITH key, e WHERE e IS NULL
  RETURN collect(key) AS enterprises
}
CALL () {
  UNWIND $person_keys AS key
  OPTIONAL MATCH (p:Person {person_key: key})
  WITH key, p WHERE p IS NULL
  RETURN collect(key) AS persons
}
RETURN enterprises, persons

// name: upsert_roles
// Role edges run holder -> enterprise, typed by role; role_id identifies an edge. Rows come grouped by
// role type, and `__ROLE_TYPE__` is replaced by that type's name, checked against the RoleType
// enumeration, before the statement runs: a relationship type cannot be a parameter without losing the
// expand-into plan (a dynamic type makes MERGE scan every relationship).
UNWIND $rows AS row
CALL (row) {
  OPTIONAL MATCH (p:Person {person_key: row.holder_key}) WHERE row.holder_kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: row.holder_key}) WHERE row.holder_kind = 'enterprise'
  RETURN coalesce(p, o) AS holder
}
MATCH (e:Enterprise {uscc: row.enterprise})
MERGE (holder)-[r:`__ROLE_TYPE__` {role_id: row.role_id}]->(e)
WITH r, row, r.fingerprint AS before, r.recorded_at AS was_recorded, r.valid_to AS was_to,
     r.end_recorded_at AS was_end
// The ends of the edge are not repeated as its properties: reads take them from the nodes. The stamps
// are those of graph_service/domain/recorded.py stamp_role: first recorded, and when the end was learnt.
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.fingerprint THEN [1] ELSE [] END |
  SET r = row, r.holder_kind = null, r.holder_key = null, r.enterprise = null,
      r.recorded_at = CASE WHEN before IS NULL THEN coalesce(row.recorded_at, $now) ELSE was_recorded END,
      r.end_recorded_at = CASE
        WHEN row.valid_to IS NULL THEN null
        WHEN before IS NULL THEN coalesce(row.end_recorded_at, row.recorded_at, $now)
        WHEN was_to = row.valid_to THEN was_end
        ELSE $now END)
RETURN sum(CASE WHEN before IS NULL THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN before IS NOT NULL AND before <> row.fingerprint THEN 1 ELSE 0 END) AS updated,
       sum(CASE WHEN before = row.fingerprint THEN 1 ELSE 0 END) AS unchanged,
       collect(CASE WHEN before IS NULL OR before <> row.fingerprint THEN row.role_id END) AS changed

// name: upsert_entries
// An entry's NAMES and NAMED_RESPONSIBLE edges are rebuilt whenever the entry changes.
UNWIND $rows AS row
OPTIONAL MATCH (old:ListEntry {entry_id: row.props.entry_id})
WITH row, old.fingerprint AS before, old.recorded_at AS was_recorded
CALL (row, before, was_recorded) {
  WITH row, before, was_recorded WHERE before IS NULL OR before <> row.props.fingerprint
  MERGE (l:ListEntry {entry_id: row.props.entry_id})
  // recorded_at as graph_service/domain/recorded.py stamp_entry keeps it: the first write's moment.
  SET l = row.props,
      l.recorded_at = CASE WHEN before IS NULL THEN coalesce(row.recorded_at, $now) ELSE was_recorded END
  WITH l, row
  CALL (l) {
    MATCH (l)-[x:NAMES|NAMED_RESPONSIBLE]->()
    DELETE x
  }
  CALL (l, row) {
    OPTIONAL MATCH (p:Person {person_key: row.props.subject_key}) WHERE row.props.subject_kind = 'person'
    OPTIONAL MATCH (o:Enterprise {uscc: row.props.subject_key}) WHERE row.props.subject_kind = 'enterprise'
    WITH l, coalesce(p, o) AS subject
    CREATE (l)-[:NAMES]->(subject)
  }
  CALL (l, row) {
    UNWIND row.named AS named
    MATCH (p:Person {person_key: named.person_key})
    CREATE (l)-[:NAMED_RESPONSIBLE {role: named.role, name: named.name, ordinal: named.ordinal}]->(p)
  }
}
RETURN sum(CASE WHEN before IS NULL THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN before IS NOT NULL AND before <> row.props.fingerprint THEN 1 ELSE 0 END) AS updated,
       sum(CASE WHEN before = row.props.fingerprint THEN 1 ELSE 0 END) AS unchanged,
       collect(CASE WHEN before IS NULL OR before <> row.props.fingerprint THEN row.props.entry_id END) AS changed

// name: roles_of_enterprises
// What a loader compares a batch with: the role edges of many enterprises in one round trip (one read per
// enterprise was most of a personnel load's time on Neo4j). The holder's key is read by its label, so the
// statement names no property a node of the other label lacks.
UNWIND $usccs AS uscc
MATCH (e:Enterprise {uscc: uscc})<-[r]-(holder)
WHERE r.role_id IS NOT NULL AND ($types IS NULL OR type(r) IN $types)
RETURN type(r) AS type, properties(r) AS props, e.uscc AS enterprise,
       CASE WHEN holder:Person THEN holder.person_key ELSE holder.uscc END AS holder_key,
       CASE WHEN holder:Person THEN 'person' ELSE 'enterprise' END AS holder_kind
