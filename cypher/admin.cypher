// Operations on the whole database.

// name: delete_everything
// Needs an auto-commit transaction (CALL ... IN TRANSACTIONS).
MATCH (n)
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
