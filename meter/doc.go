// Package meter is the head-end's model of its meters: the COSEM objects
// they expose, the client that talks to them, and what the head-end keeps
// about them.
//
// To add an interface class:
//
//  1. Add meter/<class>.go (e.g. limiter.go for class 71) with typed
//     helpers built on the Client's Get, Set and Action: one function per
//     attribute or method the head-end uses, taking an Object of the
//     profile and returning Go values (never raw axdr.Data), with the
//     class's enumerations as named types with String methods.
//  2. If the class is new to the profiles, add it with its attributes and
//     methods to profiles/classes.json, and give its objects a role in the
//     profile files of profiles/ (a Role constant in profile.go when the
//     head-end looks it up by role; add the role to requiredRoles only if
//     the daily cycle cannot do without it).
//  3. Add a test against the simulator (sim), which serves the same
//     profile: read, write and act through a real session, and check the
//     errors the meter can answer (object undefined, read-write denied,
//     type unmatched).
//  4. Document the class, its roles and what the head-end does with it in
//     docs/.
//
// # Profiles
//
// A Profile (profile.go) says as data which OBIS code plays which Role on
// a meter model, with its class, attributes and methods, what a profile
// generic captures and a push setup pushes, and which associations the
// meter accepts with their authentication, security and access rights.
// The profiles shipped with the head-end are embedded from profiles/;
// ParseProfile reads a utility's own.
//
// # Store
//
// A Store (store.go) keeps what the head-end knows of its meters in
// buckets named "meter/..." of a bbolt file shared with other packages;
// OpenStore takes the open *bbolt.DB. Every change is one write
// transaction, and everything returned is a copy. It holds:
//
//   - the registry (registry.go): Meter records, JSON-encoded by id, with
//     an index by EAN (the meter's and its gas meter's), and the imports
//     of the simulator's Inventory and of CSV files, all or nothing, with
//     every error located by line;
//   - the keys (keys.go): per meter the current and the pending Keys,
//     sealed with AES-GCM under a master key (LoadMasterKey, KeySealer)
//     with the meter id as additional data; key material is a Secret,
//     which no printer, encoder or error ever shows;
//   - the invocation counters (counter.go): a SendCounter reserves the
//     sending counter values in the store before they are used, per key
//     and per meter client, so that no value is ever used twice under one
//     key and no client's counter goes down, across restarts, crashes and
//     key changes; the last counter received from each meter resumes a
//     security.ReplayGuard;
//   - the daily readings (readings.go): one Reading per meter, day and
//     register, an exact integer with scaler and unit and a Quality,
//     stored idempotently.
//
// Times are stored in UTC; a reading's day is the local date in the
// store's time zone, Europe/Brussels by default.
package meter
