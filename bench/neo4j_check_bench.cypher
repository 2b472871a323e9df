// A check of one subject written by hand as one statement, for bench/neo4j_check_bench.py to measure the
// engine against: the same reach (covers as data, $covers_by_key "list_type|ROLE"), the entries with their
// named persons and listed subjects, the subject's own record, and the black entries within three hops
// (two role edges, then the entry's own edge) with their distances, the $limit nearest.

// name: hand_check
CALL () {
  OPTIONAL MATCH (p:Person {person_key: $key}) WHERE $kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: $key}) WHERE $kind = 'enterprise'
  RETURN coalesce(p, o) AS subject
}
WITH subject WHERE subject IS NOT NULL
CALL (subject) {
  CALL (subject) {
    MATCH (l:ListEntry)-[:NAMES]->(subject)
    RETURN l, 'subject' AS via, null AS r, null AS role, null AS reference, null AS day, null AS valid_to
    UNION
    MATCH (l:ListEntry)-[n:NAMED_RESPONSIBLE]->(subject)
    RETURN l, 'named_responsible' AS via, null AS r, n.role AS role, null AS reference, null AS day,
           null AS valid_to
    UNION
    MATCH (subject)-[r]->(e:Enterprise)<-[:NAMES]-(l:ListEntry)
    WHERE r.role_id IS NOT NULL
    UNWIND coalesce($covers_by_key[l.list_type + '|' + type(r)], []) AS c
    WITH l, r, c, CASE c.reference WHEN 'conduct_date' THEN coalesce(l.conduct_date, l.listed_on)
                                   WHEN 'listing_date' THEN l.listed_on ELSE $as_of END AS day
    WHERE (c.position IS NULL OR r.position = c.position) AND (c.min_ratio IS NULL OR r.ratio >= c.min_ratio)
      AND (r.valid_from IS NULL OR r.valid_from <= day) AND (r.valid_to IS NULL OR day < r.valid_to)
    RETURN l, 'role' AS via, r, type(r) AS role, c.reference AS reference, day, r.valid_to AS valid_to
  }
  MATCH (l)-[:NAMES]->(listed)
  CALL (l) {
    OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
    WITH n, p ORDER BY n.ordinal
    RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name} END) AS named
  }
  RETURN collect({entry: properties(l), named: named, listed: properties(listed), via: via, role: role,
                  position: r.position, role_id: r.role_id, valid_from: r.valid_from, valid_to: valid_to,
                  reference: reference, reference_date: day}) AS reasons
}
CALL (subject) {
  MATCH path = (subject)-[roles:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|DIRECTOR_OF|SUPERVISOR_OF|SENIOR_MANAGER_OF|SHAREHOLDER_OF|PRACTITIONER_AT|BRANCH_OF*0..2]-(x)<-[:NAMES|NAMED_RESPONSIBLE]-(l:ListEntry)
  WHERE l.kind = 'black'
    AND all(r IN roles WHERE (r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR $as_of < r.valid_to))
  WITH l, min(length(path)) AS distance
  ORDER BY distance, l.entry_id
  LIMIT $limit
  MATCH (l)-[:NAMES]->(listed)
  RETURN collect({entry: properties(l), listed: properties(listed), distance: distance}) AS near
}
RETURN properties(subject) AS subject, reasons, near
