package testutil

// Export guts for testing.

// RequireRootAs is RequireRoot for a given effective user ID.
var RequireRootAs = requireRoot
