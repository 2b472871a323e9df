// Applied at every start; each statement is idempotent (IF NOT EXISTS).

// name: constraint_enterprise_uscc
CREATE CONSTRAINT enterprise_uscc IF NOT EXISTS FOR (e:Enterprise) REQUIRE e.uscc IS UNIQUE

// name: constraint_person_key
CREATE CONSTRAINT person_key IF NOT EXISTS FOR (p:Person) REQUIRE p.person_key IS UNIQUE

// name: constraint_entry_id
CREATE CONSTRAINT entry_id IF NOT EXISTS FOR (l:ListEntry) REQUIRE l.entry_id IS UNIQUE

// name: index_enterprise_name
CREATE INDEX enterprise_name IF NOT EXISTS FOR (e:Enterprise) ON (e.name)

// name: index_person_name
CREATE INDEX person_name IF NOT EXISTS FOR (p:Person) ON (p.name)

// name: index_entry_subject
CREATE INDEX entry_subject IF NOT EXISTS FOR (l:ListEntry) ON (l.subject_key)

// name: index_entry_list
CREATE INDEX entry_list IF NOT EXISTS FOR (l:ListEntry) ON (l.list_type)

// name: constraint_store_meta_name
CREATE CONSTRAINT store_meta_name IF NOT EXISTS FOR (m:StoreMeta) REQUIRE m.name IS UNIQUE

// name: index_enterprise_search
CREATE TEXT INDEX enterprise_search IF NOT EXISTS FOR (e:Enterprise) ON (e.name_norm)

// name: index_person_search
CREATE TEXT INDEX person_search IF NOT EXISTS FOR (p:Person) ON (p.name_norm)

// name: index_enterprise_org_code
// find_enterprises: the organisation code in a USCC's positions 9-17, kept beside it as org_code.
CREATE INDEX enterprise_org_code IF NOT EXISTS FOR (e:Enterprise) ON (e.org_code)

// name: index_enterprise_registration_number
CREATE INDEX enterprise_registration_number IF NOT EXISTS FOR (e:Enterprise) ON (e.registration_number)

// name: index_enterprise_registry_id
CREATE INDEX enterprise_registry_id IF NOT EXISTS FOR (e:Enterprise) ON (e.registry_id)

// name: constraint_change_seq
// The change log is read in seq order from a reader's place (changes_after).
CREATE CONSTRAINT change_seq IF NOT EXISTS FOR (c:Change) REQUIRE c.seq IS UNIQUE

// name: constraint_change_log_name
CREATE CONSTRAINT change_log_name IF NOT EXISTS FOR (log:ChangeLog) REQUIRE log.name IS UNIQUE
