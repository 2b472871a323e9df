// The baseline of bench/loader_speed_bench.py: what a hand-written load with the official driver does,
// `UNWIND $rows MERGE`, nodes first, then relationships by type. Its own labels, so that it shares no
// index or constraint with the store's.

// name: baseline_enterprise_key
CREATE CONSTRAINT baseline_enterprise_key IF NOT EXISTS FOR (e:BaselineEnterprise) REQUIRE e.uscc IS UNIQUE

// name: baseline_person_key
CREATE CONSTRAINT baseline_person_key IF NOT EXISTS FOR (p:BaselinePerson) REQUIRE p.person_key IS UNIQUE

// name: baseline_enterprises
UNWIND $rows AS row
MERGE (e:BaselineEnterprise {uscc: row.uscc})
SET e += row

// name: baseline_persons
UNWIND $rows AS row
MERGE (p:BaselinePerson {person_key: row.person_key})
SET p += row

// name: baseline_roles
UNWIND $rows AS row
MATCH (p:BaselinePerson {person_key: row.holder_key})
MATCH (e:BaselineEnterprise {uscc: row.enterprise})
MERGE (p)-[r:HOLDS {role_id: row.role_id}]->(e)
SET r.type = row.type, r.position = row.position, r.valid_from = row.valid_from, r.valid_to = row.valid_to

// name: baseline_clear
MATCH (n) WHERE n:BaselineEnterprise OR n:BaselinePerson
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
