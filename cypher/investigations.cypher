// Investigations: the ownership subgraph around one subject, in one statement per direction. Only
// SHAREHOLDER_OF edges holding on $as_of count (all of them when $as_of is null). A node is expanded
// when its shortest distance from the start is below $max_depth; the quantifier's fixed bound 9 is
// MAX_OWNERSHIP_DEPTH - 1 in graph_service/store/base.py (a quantifier cannot be a parameter). ANY
// SHORTEST keeps one path per node, so the search is a breadth-first walk that a ring cannot trap.

// name: ownership_up
// Edges towards the owners: into the start, into its holders, and so on.
CALL () {
  OPTIONAL MATCH (p:Person {person_key: $key}) WHERE $kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: $key}) WHERE $kind = 'enterprise'
  RETURN coalesce(p, o) AS start
}
WITH start WHERE start IS NOT NULL AND $max_depth > 0
MATCH path = ANY SHORTEST (start)(()<-[s:SHAREHOLDER_OF WHERE $as_of IS NULL
    OR ((s.valid_from IS NULL OR s.valid_from <= $as_of) AND (s.valid_to IS NULL OR $as_of < s.valid_to))
  ]-()){0,9}(v:Enterprise)
WHERE length(path) < $max_depth
MATCH (v)<-[r:SHAREHOLDER_OF]-(holder)
WHERE $as_of IS NULL
   OR ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR $as_of < r.valid_to))
RETURN type(r) AS type, properties(r) AS props, v.uscc AS enterprise,
       coalesce(holder.person_key, holder.uscc) AS holder_key,
       CASE WHEN holder:Person THEN 'person' ELSE 'enterprise' END AS holder_kind

// name: ownership_down
// Edges towards the holdings: out of the start, out of what it holds, and so on.
CALL () {
  OPTIONAL MATCH (p:Person {person_key: $key}) WHERE $kind = 'person'
  OPTIONAL MATCH (o:Enterprise {uscc: $key}) WHERE $kind = 'enterprise'
  RETURN coalesce(p, o) AS start
}
WITH start WHERE start IS NOT NULL AND $max_depth > 0
MATCH path = ANY SHORTEST (start)(()-[s:SHAREHOLDER_OF WHERE $as_of IS NULL
    OR ((s.valid_from IS NULL OR s.valid_from <= $as_of) AND (s.valid_to IS NULL OR $as_of < s.valid_to))
  ]->()){0,9}(v)
WHERE length(path) < $max_depth
MATCH (v)-[r:SHAREHOLDER_OF]->(e:Enterprise)
WHERE $as_of IS NULL
   OR ((r.valid_from IS NULL OR r.valid_from <= $as_of) AND (r.valid_to IS NULL OR $as_of < r.valid_to))
RETURN type(r) AS type, properties(r) AS props, e.uscc AS enterprise,
       coalesce(v.person_key, v.uscc) AS holder_key,
       CASE WHEN v:Person THEN 'person' ELSE 'enterprise' END AS holder_kind
