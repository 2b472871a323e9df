// Reads. Each is one statement that does its traversal on the server. Role edges are the relationships
// that carry a role_id; a role holds on $as_of when valid_from <= $as_of < valid_to (null ends open).

// name: get_enterprise
MATCH (e:Enterprise {uscc: $uscc})
RETURN properties(e) AS props

// name: get_person
MATCH (p:Person {person_key: $person_key})
RETURN properties(p) AS props

// name: get_enterprises
UNWIND $usccs AS uscc
MATCH (e:Enterprise {uscc: uscc})
RETURN properties(e) AS props

// name: get_persons
UNWIND $person_keys AS key
MATCH (p:Person {person_key: key})
RETURN properties(p) AS props

// name: find_enterprises
// The enterprises each code identifies, by the index of its kind; codes come normalised and deduplicated.
CALL () {
  UNWIND $org_codes AS code
  MATCH (e:Enterprise {org_code: code})
  RETURN code, properties(e) AS props
  UNION ALL
  UNWIND $registration_numbers AS code
  MATCH (e:Enterprise {registration_number: code})
  RETURN code, properties(e) AS props
  UNION ALL
  UNWIND $registry_ids AS code
  MATCH (e:Enterprise {registry_id: code})
  RETURN code, properties(e) AS props
}
RETURN code, props

// name: get_entry
MATCH (l:ListEntry {entry_id: $entry_id})
OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
WITH l, n, p ORDER BY n.ordinal
RETURN properties(l) AS props,
       collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named

// name: search_names
// Names containing $needle (both in search form), shortest first; the total and one page.
CALL () {
  MATCH (e:Enterprise) WHERE 'enterprise' IN $kinds AND e.name_norm CONTAINS $needle
  RETURN 'enterprise' AS kind, e.uscc AS key, e.name AS name
  UNION ALL
  MATCH (p:Person) WHERE 'person' IN $kinds AND p.name_norm CONTAINS $needle
  RETURN 'person' AS kind, p.person_key AS key, p.name AS name
}
WITH kind, key, name ORDER BY size(name), name, key, kind
WITH collect({kind: kind, key: key, name: name}) AS found
RETURN size(found) AS total, found[$offset..($offset + $limit)] AS hits

// name: persons_named
MATCH (p:Person {name: $name})
RETURN properties(p) AS props

// name: entries_of_list
MATCH (l:ListEntry {list_type: $list_type})
WHERE $source IS NULL OR l.source = $source
CALL (l) {
  OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
  WITH n, p ORDER BY n.ordinal
  RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named
}
RETURN properties(l) AS props, named

// name: roles_of_enterprise
MATCH (e:Enterprise {uscc: $uscc})<-[r]-(holder)
WHERE r.role_id IS NOT NULL
  AND ($types IS NULL OR type(r) IN $types)
  AND ($as_of IS NULL OR ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR $as_of < r.valid_to)))
RETURN type(r) AS type, properties(r) AS props, e.uscc AS enterprise,
       coalesce(holder.person_key, holder.uscc) AS holder_key,
       CASE WHEN holder:Person THEN 'person' ELSE 'enterprise' END AS holder_kind

// name: roles_of_holder
CALL () {
  OPTIONAL MATCH (p:Person {person_key: $key}) WHERE $kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: $key}) WHERE $kind = 'enterprise'
  RETURN coalesce(p, o) AS holder
}
MATCH (holder)-[r]->(e:Enterprise)
WHERE r.role_id IS NOT NULL
  AND ($types IS NULL OR type(r) IN $types)
  AND ($as_of IS NULL OR ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR $as_of < r.valid_to)))
RETURN type(r) AS type, properties(r) AS props, e.uscc AS enterprise, $key AS holder_key, $kind AS holder_kind

// name: entries_of_subject
CALL () {
  OPTIONAL MATCH (p:Person {person_key: $key}) WHERE $kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: $key}) WHERE $kind = 'enterprise'
  RETURN coalesce(p, o) AS subject
}
MATCH (l:ListEntry)-[x:NAMES|NAMED_RESPONSIBLE]->(subject)
CALL (l) {
  OPTIONAL MATCH (l)-[n:NAMED_RESPONSIBLE]->(p:Person)
  WITH n, p ORDER BY n.ordinal
  RETURN collect(CASE WHEN n IS NULL THEN null ELSE {person_key: p.person_key, name: n.name, role: n.role} END) AS named
}
RETURN properties(l) AS props, named, type(x) AS relation, x.role AS role

// name: neighbourhood
// Shortest distances from the start over usable edges, up to `__HOPS__` hops (replaced by the checked
// hop count, 0 to 3: a quantifier cannot be a parameter, and a fixed larger bound would expand hubs
// needlessly), the $limit nearest kept (ties by kind, then key), and the usable edges among them.
// With $classes, list entries of other disclosure classes are neither walked through nor reached.
CALL () {
  OPTIONAL MATCH (e:Enterprise {uscc: $key}) WHERE $kind = 'enterprise'
  OPTIONAL MATCH (p:Person {person_key: $key}) WHERE $kind = 'person'
  OPTIONAL MATCH (l:ListEntry {entry_id: $key}) WHERE $kind = 'entry'
  RETURN coalesce(e, p, l) AS start
}
WITH start WHERE start IS NOT NULL
MATCH path = ANY SHORTEST (start)(()-[r:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|DIRECTOR_OF|SUPERVISOR_OF|SENIOR_MANAGER_OF|SHAREHOLDER_OF|PRACTITIONER_AT|BRANCH_OF|NAMES|NAMED_RESPONSIBLE WHERE
    r.role_id IS NULL OR $as_of IS NULL
    OR ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR $as_of < r.valid_to))
  ]-(y) WHERE $classes IS NULL OR NOT y:ListEntry OR y.disclosure IN $classes){0,__HOPS__}(n:Enterprise|Person|ListEntry)
WITH n, length(path) AS distance,
     CASE WHEN n:Enterprise THEN 0 WHEN n:Person THEN 1 ELSE 2 END AS kind_order,
     coalesce(n.uscc, n.person_key, n.entry_id) AS key
ORDER BY distance, kind_order, key
WITH collect({node: n, distance: distance, kind_order: kind_order, key: key}) AS reached
WITH reached[0..$limit] AS kept, size(reached) AS total
WITH kept, total, [k IN kept | k.node] AS nodes
CALL (nodes) {
  UNWIND nodes AS a
  MATCH (a)-[r:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|DIRECTOR_OF|SUPERVISOR_OF|SENIOR_MANAGER_OF|SHAREHOLDER_OF|PRACTITIONER_AT|BRANCH_OF|NAMES|NAMED_RESPONSIBLE]->(b)
  WHERE b IN nodes AND (r.role_id IS NULL OR $as_of IS NULL
    OR ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR $as_of < r.valid_to)))
  RETURN collect({
    type: type(r), props: properties(r),
    source: coalesce(a.uscc, a.person_key, a.entry_id), target: coalesce(b.uscc, b.person_key, b.entry_id),
    source_kind: CASE WHEN a:Enterprise THEN 'enterprise' WHEN a:Person THEN 'person' ELSE 'entry' END,
    target_kind: CASE WHEN b:Enterprise THEN 'enterprise' WHEN b:Person THEN 'person' ELSE 'entry' END
  }) AS edges
}
RETURN [k IN kept | {
    key: k.key, distance: k.distance,
    kind: CASE k.kind_order WHEN 0 THEN 'enterprise' WHEN 1 THEN 'person' ELSE 'entry' END,
    label: coalesce(k.node.name, k.node.decision_number, k.key)
  }] AS nodes, edges, total

// name: counts
CALL () { MATCH (e:Enterprise) RETURN count(e) AS enterprises }
CALL () { MATCH (p:Person) RETURN count(p) AS persons }
CALL () { MATCH (l:ListEntry) RETURN count(l) AS entries }
CALL () { MATCH ()-[r:LEGAL_REPRESENTATIVE_OF]->() RETURN count(r) AS legal_representative_of }
CALL () { MATCH ()-[r:PRINCIPAL_OF]->() RETURN count(r) AS principal_of }
CALL () { MATCH ()-[r:ACTUAL_CONTROLLER_OF]->() RETURN count(r) AS actual_controller_of }
CALL () { MATCH ()-[r:DIRECTOR_OF]->() RETURN count(r) AS director_of }
CALL () { MATCH ()-[r:SUPERVISOR_OF]->() RETURN count(r) AS supervisor_of }
CALL () { MATCH ()-[r:SENIOR_MANAGER_OF]->() RETURN count(r) AS senior_manager_of }
CALL () { MATCH ()-[r:SHAREHOLDER_OF]->() RETURN count(r) AS shareholder_of }
CALL () { MATCH ()-[r:PRACTITIONER_AT]->() RETURN count(r) AS practitioner_at }
CALL () { MATCH ()-[r:BRANCH_OF]->() RETURN count(r) AS branch_of }
RETURN enterprises, persons, entries, legal_representative_of, principal_of, actual_controller_of,
       director_of, supervisor_of, senior_manager_of, shareholder_of, practitioner_at, branch_of
