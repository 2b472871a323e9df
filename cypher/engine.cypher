// Joint punishment reach, done on the server in one statement each. The rules come in as data: covers
// {list_type, role, position, min_ratio, reference}, grouped by list type ($covers_by_type) or by list type
// and role type ($covers_by_key, "list_type|ROLE"), so that each row meets only the covers that can apply. A covered role reaches its holder when it held on
// the reference day: the conduct date (or the listing date when none), the listing date, or $as_of.

// name: get_entries
UNWIND $entry_ids AS id
MATCH (l:ListEntry {entry_id: id})
CALL (l) {
  OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
  WITH n, p ORDER BY n.ordinal
  RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named
}
RETURN properties(l) AS props, named

// name: reach
// Everyone the entries reach: of $entry_ids whatever their status, or of every black entry in force on
// $as_of by the periods the domain computed and stored on it (count_from/count_to). With $known_at, only
// what was recorded by then, and every black entry listed by the day: the caller judges each as then known.
CALL () {
  MATCH (l:ListEntry) WHERE $entry_ids IS NOT NULL AND l.entry_id IN $entry_ids
  RETURN l
  UNION
  MATCH (l:ListEntry)
  WHERE $entry_ids IS NULL AND l.kind = 'black' AND $known_at IS NULL
    AND any(i IN range(0, size(coalesce(l.count_from, [])) - 1)
            WHERE l.count_from[i] <= $as_of AND $as_of < l.count_to[i])
  RETURN l
  UNION
  MATCH (l:ListEntry)
  WHERE $entry_ids IS NULL AND l.kind = 'black' AND $known_at IS NOT NULL AND l.listed_on <= $as_of
  RETURN l
}
WITH l WHERE $known_at IS NULL OR l.recorded_at IS NULL OR l.recorded_at <= $known_at
MATCH (l)-[:NAMES]->(s)
CALL (l, s) {
  RETURN 'subject' AS via, s AS reached, null AS r, null AS role, null AS reference, null AS reference_date,
         null AS valid_to
  UNION
  MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
  RETURN 'named_responsible' AS via, p AS reached, null AS r, n.role AS role, null AS reference,
         null AS reference_date, null AS valid_to
  UNION
  UNWIND coalesce($covers_by_type[l.list_type], []) AS c
  WITH c WHERE s:Enterprise
  WITH c, CASE c.reference WHEN 'conduct_date' THEN coalesce(l.conduct_date, l.listed_on)
                           WHEN 'listing_date' THEN l.listed_on ELSE $as_of END AS day
  MATCH (s)<-[r]-(h)
  WHERE type(r) = c.role AND (c.position IS NULL OR r.position = c.position)
    AND (c.min_ratio IS NULL OR r.ratio >= c.min_ratio)
    AND ($known_at IS NULL OR r.recorded_at IS NULL OR r.recorded_at <= $known_at)
  // The role's end as known then (graph_service/domain/recorded.py role_as_known).
  WITH c, day, r, h, CASE WHEN $known_at IS NOT NULL AND r.end_recorded_at > $known_at THEN null
                          ELSE r.valid_to END AS valid_to
  WHERE (r.valid_from IS NULL OR r.valid_from <= day) AND (valid_to IS NULL OR day < valid_to)
  RETURN 'role' AS via, h AS reached, r, type(r) AS role, c.reference AS reference, day AS reference_date,
         valid_to
}
RETURN l.entry_id AS entry_id, via, role, reference, reference_date,
       CASE WHEN reached:Person THEN 'person' ELSE 'enterprise' END AS reached_kind,
       coalesce(reached.person_key, reached.uscc) AS reached_key,
       r.position AS position, r.role_id AS role_id, r.valid_from AS valid_from, valid_to

// name: reaching_many
// For each of $subjects ({kind, key}), the entries that reach it: naming it, naming it as responsible, or
// through a covered role it held in a listed enterprise on the reference day. With $known_at, only entries
// and roles recorded by then, and role ends learnt by then.
UNWIND $subjects AS asked
CALL (asked) {
  OPTIONAL MATCH (p:Person {person_key: asked.key}) WHERE asked.kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: asked.key}) WHERE asked.kind = 'enterprise'
  RETURN coalesce(p, o) AS subject
}
WITH asked, subject WHERE subject IS NOT NULL
CALL (subject) {
  MATCH (l:ListEntry)-[:NAMES]->(subject)
  RETURN l, 'subject' AS via, null AS r, null AS role, null AS reference, null AS reference_date,
         null AS valid_to
  UNION
  MATCH (l:ListEntry)-[n:NAMED_RESPONSIBLE]->(subject)
  RETURN l, 'named_responsible' AS via, null AS r, n.role AS role, null AS reference, null AS reference_date,
         null AS valid_to
  UNION
  MATCH (subject)-[r]->(e:Enterprise)<-[:NAMES]-(l:ListEntry)
  WHERE r.role_id IS NOT NULL
    AND ($known_at IS NULL OR r.recorded_at IS NULL OR r.recorded_at <= $known_at)
  // Only the covers of this list type and role type ($covers_by_key: "list_type|ROLE" -> covers).
  UNWIND coalesce($covers_by_key[l.list_type + '|' + type(r)], []) AS c
  WITH l, r, c WHERE (c.position IS NULL OR r.position = c.position)
    AND (c.min_ratio IS NULL OR r.ratio >= c.min_ratio)
  WITH l, r, c, CASE c.reference WHEN 'conduct_date' THEN coalesce(l.conduct_date, l.listed_on)
                                 WHEN 'listing_date' THEN l.listed_on ELSE $as_of END AS day,
       CASE WHEN $known_at IS NOT NULL AND r.end_recorded_at > $known_at THEN null ELSE r.valid_to END AS valid_to
  WHERE (r.valid_from IS NULL OR r.valid_from <= day) AND (valid_to IS NULL OR day < valid_to)
  RETURN l, 'role' AS via, r, type(r) AS role, c.reference AS reference, day AS reference_date, valid_to
}
WITH asked, l, via, r, role, reference, reference_date, valid_to
WHERE $known_at IS NULL OR l.recorded_at IS NULL OR l.recorded_at <= $known_at
RETURN l.entry_id AS entry_id, via, role, reference, reference_date, asked.kind AS reached_kind,
       asked.key AS reached_key, r.position AS position, r.role_id AS role_id, r.valid_from AS valid_from,
       valid_to

// name: lock_entry
// Takes the entry's write lock in the transaction that will change it, and reads its status.
OPTIONAL MATCH (l:ListEntry {entry_id: $entry_id})
CALL (l) {
  WITH l WHERE l IS NOT NULL
  REMOVE l._lock
}
RETURN l.status AS status

// name: append_event
MATCH (l:ListEntry {entry_id: $entry_id})
OPTIONAL MATCH (l)-[:HAS_EVENT]->(previous:EntryEvent)
WITH l, count(previous) AS n
CREATE (l)-[:HAS_EVENT]->(e:EntryEvent)
SET e = $event, e.seq = n + 1

// name: events_of_entry
MATCH (:ListEntry {entry_id: $entry_id})-[:HAS_EVENT]->(e:EntryEvent)
RETURN properties(e) AS props
ORDER BY e.seq

// name: append_feedback
MATCH (l:ListEntry {entry_id: $entry_id})
OPTIONAL MATCH (l)-[:HAS_FEEDBACK]->(previous:Feedback)
WITH l, count(previous) AS n
CREATE (l)-[:HAS_FEEDBACK]->(f:Feedback)
SET f = $feedback, f.seq = n + 1
RETURN count(f) AS written

// name: feedback
MATCH (l:ListEntry)-[:HAS_FEEDBACK]->(f:Feedback)
WHERE $entry_id IS NULL OR l.entry_id = $entry_id
RETURN properties(f) AS props
ORDER BY l.entry_id, f.seq

// name: check_facts
// Everything a check of $subjects ({kind, key}) is decided from, in one statement and one row: the reach
// rows (as reaching_many finds them), and, when $near, the black entries near each subject with their
// distances (the $near_limit nearest; with $classes, only entries of those disclosure classes); when $record, the entries that list or name each subject and the events of the entries
// found. Then the entries themselves and the persons and enterprises that name the subjects and the
// entries' listed subjects. The engine decides what they mean.
UNWIND $subjects AS asked
CALL (asked) {
  OPTIONAL MATCH (p:Person {person_key: asked.key}) WHERE asked.kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: asked.key}) WHERE asked.kind = 'enterprise'
  RETURN coalesce(p, o) AS subject
}
WITH asked, subject WHERE subject IS NOT NULL
CALL (asked, subject) {
  CALL (subject) {
    MATCH (l:ListEntry)-[:NAMES]->(subject)
    RETURN l, 'subject' AS via, null AS r, null AS role, null AS reference, null AS reference_date,
           null AS valid_to
    UNION
    MATCH (l:ListEntry)-[n:NAMED_RESPONSIBLE]->(subject)
    RETURN l, 'named_responsible' AS via, null AS r, n.role AS role, null AS reference,
           null AS reference_date, null AS valid_to
    UNION
    MATCH (subject)-[r]->(e:Enterprise)<-[:NAMES]-(l:ListEntry)
    WHERE r.role_id IS NOT NULL
      AND ($known_at IS NULL OR r.recorded_at IS NULL OR r.recorded_at <= $known_at)
    UNWIND coalesce($covers_by_key[l.list_type + '|' + type(r)], []) AS c
    WITH l, r, c WHERE (c.position IS NULL OR r.position = c.position)
      AND (c.min_ratio IS NULL OR r.ratio >= c.min_ratio)
    WITH l, r, c, CASE c.reference WHEN 'conduct_date' THEN coalesce(l.conduct_date, l.listed_on)
                                   WHEN 'listing_date' THEN l.listed_on ELSE $as_of END AS day,
         CASE WHEN $known_at IS NOT NULL AND r.end_recorded_at > $known_at THEN null ELSE r.valid_to END
           AS valid_to
    WHERE (r.valid_from IS NULL OR r.valid_from <= day) AND (valid_to IS NULL OR day < valid_to)
    RETURN l, 'role' AS via, r, type(r) AS role, c.reference AS reference, day AS reference_date, valid_to
  }
  WITH l, via, r, role, reference, reference_date, valid_to
  WHERE $known_at IS NULL OR l.recorded_at IS NULL OR l.recorded_at <= $known_at
  RETURN collect({entry_id: l.entry_id, via: via, role: role, reference: reference,
                  reference_date: reference_date, reached_kind: asked.kind, reached_key: asked.key,
                  position: r.position, role_id: r.role_id, valid_from: r.valid_from, valid_to: valid_to}) AS rows,
         collect(DISTINCT l) AS reaching
}
CALL (subject) {
  // Paths of at most `__HOPS__` role edges (the hops asked less the entry's own edge, put in checked)
  // holding on $as_of, in either direction, then the edge by which a black entry names the node reached.
  WITH subject WHERE $near
  MATCH path = (subject)-[roles:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|DIRECTOR_OF|SUPERVISOR_OF|SENIOR_MANAGER_OF|SHAREHOLDER_OF|PRACTITIONER_AT|BRANCH_OF*0..__HOPS__]-(x)<-[:NAMES|NAMED_RESPONSIBLE]-(l:ListEntry)
  WHERE l.kind = 'black' AND ($classes IS NULL OR l.disclosure IN $classes)
    AND all(r IN roles WHERE (r.valid_from IS NULL OR r.valid_from <= $as_of)
                             AND (r.valid_to IS NULL OR $as_of < r.valid_to))
  WITH l, min(length(path)) AS distance
  ORDER BY distance, l.entry_id
  LIMIT $near_limit
  RETURN collect({entry_id: l.entry_id, distance: distance}) AS near_found, collect(l) AS near_black
}
CALL (subject) {
  WITH subject WHERE $record
  MATCH (l:ListEntry)-[x:NAMES|NAMED_RESPONSIBLE]->(subject)
  RETURN collect({entry_id: l.entry_id, relation: type(x), role: x.role}) AS links, collect(DISTINCT l) AS linked
}
WITH collect({kind: asked.kind, key: asked.key, near: near_found, links: links}) AS walks,
     collect(subject) AS asked_nodes,
     reduce(acc = [], x IN collect(rows) | acc + x) AS rows,
     reduce(acc = [], x IN collect(reaching + linked) | acc + x) AS own,
     reduce(acc = [], x IN collect(near_black) | acc + x) AS near
CALL (own, near) {
  UNWIND own + near AS l
  WITH DISTINCT l
  MATCH (l)-[:NAMES]->(s)
  CALL (l) {
    OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
    WITH n, p ORDER BY n.ordinal
    RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named
  }
  CALL (l, own) {
    WITH l WHERE $record AND l IN own
    MATCH (l)-[:HAS_EVENT]->(e:EntryEvent)
    WITH e ORDER BY e.seq
    RETURN collect(properties(e)) AS events
  }
  RETURN collect({props: properties(l), named: named, events: events}) AS entries, collect(DISTINCT s) AS listed
}
RETURN rows, walks, entries,
       [s IN asked_nodes + listed | {kind: CASE WHEN s:Person THEN 'person' ELSE 'enterprise' END,
                                     props: properties(s)}] AS subjects

// name: affected_facts
// What "who must also be restricted" is decided from, in one statement and one row: the reach rows of
// $entry_ids whatever their status (as reach finds them), the entries, and the persons and enterprises
// that name the reached and the listed subjects.
MATCH (l:ListEntry) WHERE l.entry_id IN $entry_ids
  AND ($known_at IS NULL OR l.recorded_at IS NULL OR l.recorded_at <= $known_at)
MATCH (l)-[:NAMES]->(s)
CALL (l, s) {
  RETURN 'subject' AS via, s AS reached, null AS r, null AS role, null AS reference, null AS reference_date,
         null AS valid_to
  UNION
  MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
  RETURN 'named_responsible' AS via, p AS reached, null AS r, n.role AS role, null AS reference,
         null AS reference_date, null AS valid_to
  UNION
  UNWIND coalesce($covers_by_type[l.list_type], []) AS c
  WITH c WHERE s:Enterprise
  WITH c, CASE c.reference WHEN 'conduct_date' THEN coalesce(l.conduct_date, l.listed_on)
                           WHEN 'listing_date' THEN l.listed_on ELSE $as_of END AS day
  MATCH (s)<-[r]-(h)
  WHERE type(r) = c.role AND (c.position IS NULL OR r.position = c.position)
    AND (c.min_ratio IS NULL OR r.ratio >= c.min_ratio)
    AND ($known_at IS NULL OR r.recorded_at IS NULL OR r.recorded_at <= $known_at)
  WITH c, day, r, h, CASE WHEN $known_at IS NOT NULL AND r.end_recorded_at > $known_at THEN null
                          ELSE r.valid_to END AS valid_to
  WHERE (r.valid_from IS NULL OR r.valid_from <= day) AND (valid_to IS NULL OR day < valid_to)
  RETURN 'role' AS via, h AS reached, r, type(r) AS role, c.reference AS reference, day AS reference_date,
         valid_to
}
WITH collect({entry_id: l.entry_id, via: via, role: role, reference: reference, reference_date: reference_date,
              reached_kind: CASE WHEN reached:Person THEN 'person' ELSE 'enterprise' END,
              reached_key: coalesce(reached.person_key, reached.uscc), position: r.position,
              role_id: r.role_id, valid_from: r.valid_from, valid_to: valid_to}) AS rows,
     collect(DISTINCT l) AS found, collect(DISTINCT reached) AS reached_nodes
CALL (found) {
  UNWIND found AS l
  MATCH (l)-[:NAMES]->(s)
  CALL (l) {
    OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
    WITH n, p ORDER BY n.ordinal
    RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named
  }
  RETURN collect({props: properties(l), named: named}) AS entries, collect(DISTINCT s) AS listed
}
RETURN rows, entries,
       [s IN reached_nodes + listed | {kind: CASE WHEN s:Person THEN 'person' ELSE 'enterprise' END,
                                       props: properties(s)}] AS subjects
