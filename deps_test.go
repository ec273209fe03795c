// This file checks that the packages of the module import one another only
// as the layout in DESIGN.md and STYLE.md allows, after Go's
// go/build/deps_test.go.

package usched_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// depsRules defines which packages of this module each package of this
// module may import. It is a statement of policy: the layout table at the
// end of STYLE.md, as data.
//
// DO NOT CHANGE THIS DATA TO FIX BUILDS.
// An import that breaks these rules is a design change: discuss it, change
// DESIGN.md and STYLE.md, and only then this data. A new package must be
// placed here deliberately; the test fails for a package it does not list.
//
// "a, b < c;" means package c may import packages a and b. Unlike
// go/build's rules, the relation is NOT transitive: c may import exactly
// the packages listed before its "<", and every allowed edge is written
// out. So "usched < stress" does not let stress import m, although usched
// imports m. Only direct imports are checked, and that is enough: a
// package reaches another indirectly only through a chain of direct
// imports, each of which is checked where it is written.
//
// Each package is defined (appears after "<") exactly once, and only after
// every package its rule lists, so the rules are in dependency order and
// cannot describe a cycle. Names are paths relative to the module root,
// except:
//
//	usched  the root package, github.com/usched/usched
//	NONE    nothing: "NONE < a;" makes a a leaf
//	TESTS   the _test.go files of every package: these may import what
//	        their package may, the package itself, and what TESTS may
//
// Imports from outside the module are not restricted here.
//
// Comments begin with #.
var depsRules = `
	# Leaves.
	NONE < asm, internal/feature;

	# The deque publishes its bottom with asm.StoreRelease.
	asm < steal;

	internal/feature < internal/testutil;

	asm < g;
	g, steal, asm < p;
	g, asm, internal/feature < preempt;
	g, asm, internal/feature < hook;
	p, preempt, hook, steal, g, asm, internal/feature < m;

	# The public API.
	m, p, g, preempt, hook, steal, asm, internal/feature < usched;

	# Users of the public API only.
	usched < stress;
	usched, stress < cmd/usched;

	# Test helpers, for tests only.
	internal/testutil < TESTS;
`

const (
	modulePath = "github.com/usched/usched"
	rootName   = "usched" // the name of the root package in depsRules
	noneName   = "NONE"
	testsName  = "TESTS"
)

// TestDependencies checks every import, in every .go file of every package
// of the module, whatever its build constraints, against depsRules.
func TestDependencies(t *testing.T) {
	policy, err := parseDepsRules(depsRules)
	if err != nil {
		t.Fatalf("depsRules: %v", err)
	}
	pkgs := listModulePackages(t)
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages in the module")
	}
	for _, pkg := range pkgs {
		name := relName(pkg.ImportPath)
		allowed, ok := policy[name]
		if !ok {
			t.Errorf("package %s is not in depsRules: add it deliberately, with the packages it may import", name)
			continue
		}
		imports, err := findImports(pkg.Dir)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, imp := range imports {
			if !inModule(imp.path) {
				continue
			}
			dep := relName(imp.path)
			if allowed[dep] || imp.test && (dep == name || policy[testsName][dep]) {
				continue
			}
			what := "imports"
			if imp.test {
				what = "imports in a test"
			}
			t.Errorf("disallowed import: %s %s %s (%s); %s may import only %s",
				name, what, dep, imp.file, name, describe(allowed, imp.test, policy[testsName]))
		}
	}
}

// TestDepsRulesSyntax checks that parseDepsRules rejects rules that are
// not in dependency order, so that depsRules cannot describe a cycle.
func TestDepsRulesSyntax(t *testing.T) {
	for _, bad := range []string{
		"a < b; b < a;",              // cycle: a used before defined
		"NONE < a; NONE < a;",        // defined twice
		"NONE < a; a < b",            // missing ;
		"NONE < a; a < b < c;",       // chains are not supported
		"NONE < a; a, < b;",          // empty name
		"NONE < a; a < NONE;",        // NONE defined
		"NONE < TESTS; TESTS < a;",   // TESTS used as a package
		"NONE < a; a < b; b < a, c;", // a defined twice
	} {
		if _, err := parseDepsRules(bad); err == nil {
			t.Errorf("parseDepsRules(%q) succeeded, want an error", bad)
		}
	}
	policy, err := parseDepsRules("# c\nNONE < a; a < b, c;\n b, a < d;")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"a": nil, "b": {"a"}, "c": {"a"}, "d": {"a", "b"}}
	for name, deps := range want {
		if got := slices.Sorted(maps.Keys(policy[name])); !slices.Equal(got, deps) {
			t.Errorf("policy[%s] = %v, want %v", name, got, deps)
		}
	}
}

// parseDepsRules parses rules in the language of depsRules and returns,
// for each package it defines, the set of packages it may import.
func parseDepsRules(rules string) (map[string]map[string]bool, error) {
	var b strings.Builder
	for line := range strings.Lines(rules) {
		line, _, _ = strings.Cut(line, "#")
		b.WriteString(line)
	}
	text := strings.TrimSpace(b.String())
	if text != "" && !strings.HasSuffix(text, ";") {
		return nil, errors.New("missing ; after the last rule")
	}
	policy := map[string]map[string]bool{}
	for rule := range strings.SplitSeq(strings.TrimSuffix(text, ";"), ";") {
		if strings.TrimSpace(rule) == "" {
			continue
		}
		parts := strings.Split(rule, "<")
		if len(parts) != 2 {
			return nil, fmt.Errorf("rule %q: want exactly one <", strings.TrimSpace(rule))
		}
		deps, err := parseNames(parts[0])
		if err != nil {
			return nil, err
		}
		pkgs, err := parseNames(parts[1])
		if err != nil {
			return nil, err
		}
		allowed := map[string]bool{}
		for _, dep := range deps {
			switch {
			case dep == noneName:
				if len(deps) > 1 {
					return nil, fmt.Errorf("rule %q: %s must stand alone", strings.TrimSpace(rule), noneName)
				}
			case dep == testsName:
				return nil, fmt.Errorf("rule %q: %s cannot be imported", strings.TrimSpace(rule), testsName)
			case policy[dep] == nil:
				return nil, fmt.Errorf("rule %q: %s is used before it is defined", strings.TrimSpace(rule), dep)
			default:
				allowed[dep] = true
			}
		}
		for _, pkg := range pkgs {
			if pkg == noneName {
				return nil, fmt.Errorf("rule %q: %s cannot be defined", strings.TrimSpace(rule), noneName)
			}
			if policy[pkg] != nil {
				return nil, fmt.Errorf("rule %q: %s is defined twice", strings.TrimSpace(rule), pkg)
			}
			policy[pkg] = allowed
		}
	}
	return policy, nil
}

func parseNames(list string) ([]string, error) {
	var names []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("bad name %q in list %q", name, strings.TrimSpace(list))
		}
		names = append(names, name)
	}
	return names, nil
}

// listedPackage is what go list says about a package.
type listedPackage struct {
	ImportPath string
	Dir        string
}

// listModulePackages runs go list in the module root (the directory of
// this test) and returns the module's packages. Nested modules, such as
// bench/, are not part of it.
func listModulePackages(t *testing.T) []listedPackage {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	// -e: list packages that fail to load too (another test reports their
	// errors); their files are still read below.
	cmd := exec.Command(goCmd, "list", "-e", "-json=ImportPath,Dir", "./...")
	// Look only at this module, whatever go.work says, and never reach
	// the network.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var pkg listedPackage
		if err := dec.Decode(&pkg); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if !inModule(pkg.ImportPath) {
			t.Fatalf("go list ./... listed %s, outside module %s", pkg.ImportPath, modulePath)
		}
		pkgs = append(pkgs, pkg)
	}
	return pkgs
}

// importSite is one import of a package.
type importSite struct {
	path string
	file string // relative to the module root
	test bool   // in a _test.go file
}

// findImports returns the imports of every .go file in dir that the go
// command would consider for some build, whatever GOOS, GOARCH and build
// tags: all but files whose names start with _ or . and files marked
// //go:build ignore (generators run by go generate).
func findImports(dir string) ([]importSite, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	root, err := os.Getwd() // the module root, where go test runs this test
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var imports []importSite
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if buildIgnored(f.Comments, f.Package) {
			continue
		}
		rel := path
		if r, err := filepath.Rel(root, path); err == nil {
			rel = r
		}
		for _, spec := range f.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: bad import %s", rel, spec.Path.Value)
			}
			imports = append(imports, importSite{path: imp, file: rel, test: strings.HasSuffix(name, "_test.go")})
		}
	}
	return imports, nil
}

// buildIgnored reports whether a //go:build line before the package clause
// is exactly "ignore".
func buildIgnored(comments []*ast.CommentGroup, pkgPos token.Pos) bool {
	for _, group := range comments {
		if group.Pos() > pkgPos {
			break
		}
		for _, c := range group.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				return false
			}
			tag, ok := expr.(*constraint.TagExpr)
			return ok && tag.Tag == "ignore"
		}
	}
	return false
}

func inModule(path string) bool {
	return path == modulePath || strings.HasPrefix(path, modulePath+"/")
}

// relName returns the depsRules name of a package of the module.
func relName(path string) string {
	if path == modulePath {
		return rootName
	}
	return strings.TrimPrefix(path, modulePath+"/")
}

// describe lists what a package may import, for error messages.
func describe(allowed map[string]bool, test bool, tests map[string]bool) string {
	names := slices.Sorted(maps.Keys(allowed))
	if test {
		names = append(names, "itself")
		names = append(names, slices.Sorted(maps.Keys(tests))...)
	}
	if len(names) == 0 {
		return "packages outside the module"
	}
	return strings.Join(names, ", ")
}
