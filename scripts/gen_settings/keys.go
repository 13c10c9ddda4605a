// Command keys prints the configuration keys a collector component's Go config struct accepts,
// read from the release's own source (go/parser + go/ast), without building anything.
//
// Input (stdin, JSON): [{"id": "exporter/otlp_http", "module": "M", "version": "vX", "pkgs": ["M/sub", ...],
// "type": "Config"}]. The first package of `pkgs` that declares `type` is read. Imports are resolved
// to modules through the root module's go.mod (its require list names every module of its build),
// and each module is fetched with `go mod download -json` (GOMODCACHE and GOPROXY from the
// environment).
//
// Output (stdout, JSON): {"id": {"path": "desc", ...} or {"error": "..."}}. A path is the dotted
// mapstructure key path; "[]" is a list's item, "*" a map's value. A desc is the kind (struct, map,
// list, text, string, bool, int, uint, float, duration, any) with "+custom" when the type has its
// own Unmarshal(*confmap.Conf) (the collector then decodes it with that code), and "+remain" on a
// `mapstructure:",remain"` field (its struct then takes any key).
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

type root struct {
	ID      string   `json:"id"`
	Module  string   `json:"module"`
	Version string   `json:"version"`
	Pkgs    []string `json:"pkgs"`
	Type    string   `json:"type"`
}

type pkg struct {
	path    string
	types   map[string]*ast.TypeSpec
	imports map[*ast.TypeSpec]map[string]string // per type: its file's import name -> path
	methods map[string]map[string]bool          // type -> method names
}

type loader struct {
	requires map[string]string // module -> version (of the root module's build)
	dirs     map[string]string // module@version -> dir ("" when unavailable)
	pkgs     map[string]*pkg
}

// download fetches mod@ver into the module cache (three tries: a busy proxy fails now and then).
func download(mod, ver string) string {
	for i := 0; i < 3; i++ {
		if d := downloadOnce(mod, ver); d != "" {
			return d
		}
	}
	return ""
}

func downloadOnce(mod, ver string) string {
	out, err := exec.Command("go", "mod", "download", "-json", mod+"@"+ver).Output()
	if err != nil && len(out) == 0 {
		return ""
	}
	var doc struct {
		Dir   string
		Error string
	}
	if json.Unmarshal(out, &doc) != nil || doc.Error != "" {
		return ""
	}
	return doc.Dir
}

func (l *loader) moduleDir(mod, ver string) string {
	key := mod + "@" + ver
	if d, ok := l.dirs[key]; ok {
		return d
	}
	d := download(mod, ver)
	l.dirs[key] = d
	return d
}

func readRequires(dir string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return out
	}
	block := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.SplitN(line, "//", 2)[0])
		switch {
		case strings.HasPrefix(line, "require ("):
			block = true
			continue
		case block && line == ")":
			block = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !block:
			continue
		}
		f := strings.Fields(line)
		if len(f) == 2 {
			out[f[0]] = f[1]
		}
	}
	return out
}

// dirOf finds the directory of an import path: the longest module of the build that prefixes it.
func (l *loader) dirOf(importPath string) string {
	best := ""
	for mod := range l.requires {
		if (importPath == mod || strings.HasPrefix(importPath, mod+"/")) && len(mod) > len(best) {
			best = mod
		}
	}
	if best == "" {
		return ""
	}
	d := l.moduleDir(best, l.requires[best])
	if d == "" {
		return ""
	}
	return filepath.Join(d, strings.TrimPrefix(importPath, best))
}

func (l *loader) load(importPath string) *pkg {
	if p, ok := l.pkgs[importPath]; ok {
		return p
	}
	l.pkgs[importPath] = nil
	dir := l.dirOf(importPath)
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	p := &pkg{importPath, map[string]*ast.TypeSpec{}, map[*ast.TypeSpec]map[string]string{}, map[string]map[string]bool{}}
	fset := token.NewFileSet()
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		imports := map[string]string{}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			name := path[strings.LastIndex(path, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			imports[name] = path
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						p.types[ts.Name.Name] = ts
						p.imports[ts] = imports
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) == 0 {
					continue
				}
				t := d.Recv.List[0].Type
				if s, ok := t.(*ast.StarExpr); ok {
					t = s.X
				}
				if ix, ok := t.(*ast.IndexExpr); ok {
					t = ix.X
				}
				if id, ok := t.(*ast.Ident); ok {
					if p.methods[id.Name] == nil {
						p.methods[id.Name] = map[string]bool{}
					}
					p.methods[id.Name][d.Name.Name] = true
				}
			}
		}
	}
	l.pkgs[importPath] = p
	return p
}

type walker struct {
	l     *loader
	out   map[string]string
	stack map[string]bool
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

var scalars = map[string]string{
	"string": "string", "bool": "bool", "int": "int", "int8": "int", "int16": "int", "int32": "int",
	"int64": "int", "uint": "uint", "uint8": "uint", "uint16": "uint", "uint32": "uint", "uint64": "uint",
	"float32": "float", "float64": "float", "byte": "uint", "rune": "int", "any": "any", "error": "any",
}

// typ records the type expression `e` (in package `p`, file imports `imps`) at `path`.
func (w *walker) typ(p *pkg, imps map[string]string, e ast.Expr, path string, depth int) {
	if depth > 60 {
		w.out[path] = "any"
		return
	}
	switch e := e.(type) {
	case *ast.StarExpr:
		w.typ(p, imps, e.X, path, depth+1)
	case *ast.ParenExpr:
		w.typ(p, imps, e.X, path, depth+1)
	case *ast.ArrayType:
		w.out[path] = "list"
		w.typ(p, imps, e.Elt, path+".[]", depth+1)
	case *ast.MapType:
		w.out[path] = "map"
		w.typ(p, imps, e.Value, path+".*", depth+1)
	case *ast.InterfaceType, *ast.FuncType, *ast.ChanType:
		w.out[path] = "any"
	case *ast.StructType:
		w.out[path] = "struct"
		w.fields(p, imps, e, path, depth+1)
	case *ast.IndexExpr: // a generic wrapper such as configoptional.Optional[T]: decoded as T
		w.typ(p, imps, e.Index, path, depth+1)
	case *ast.IndexListExpr:
		w.out[path] = "any"
	case *ast.Ident:
		if s, ok := scalars[e.Name]; ok && p.types[e.Name] == nil {
			w.out[path] = s
			return
		}
		w.named(p, e.Name, path, depth)
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			w.out[path] = "any"
			return
		}
		ip := imps[x.Name]
		switch ip + "." + e.Sel.Name {
		case "time.Duration":
			w.out[path] = "duration"
			return
		case "time.Time":
			w.out[path] = "string"
			return
		}
		q := w.l.load(ip)
		if q == nil {
			w.out[path] = "any"
			return
		}
		w.named(q, e.Sel.Name, path, depth)
	default:
		w.out[path] = "any"
	}
}

func (w *walker) named(p *pkg, name, path string, depth int) {
	ts := p.types[name]
	if ts == nil {
		w.out[path] = "any"
		return
	}
	id := p.path + "." + name
	if w.stack[id] {
		w.out[path] = "any"
		return
	}
	m := p.methods[name]
	if m["UnmarshalText"] {
		w.out[path] = "text"
		return
	}
	if m["UnmarshalJSON"] && !m["Unmarshal"] {
		// A type decoded from text by a hook (pcommon values, enums with JSON forms).
		if _, isStruct := ts.Type.(*ast.StructType); !isStruct {
			w.out[path] = "text"
			return
		}
	}
	w.stack[id] = true
	defer delete(w.stack, id)
	w.typ(p, p.imports[ts], ts.Type, path, depth+1)
	if m["Unmarshal"] {
		if d, ok := w.out[path]; ok && !strings.HasSuffix(d, "+custom") {
			w.out[path] = d + "+custom"
		}
	}
}

func (w *walker) fields(p *pkg, imps map[string]string, st *ast.StructType, path string, depth int) {
	for _, f := range st.Fields.List {
		tag := ""
		if f.Tag != nil {
			tag = reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("mapstructure")
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		squash := strings.Contains(","+opts+",", ",squash,")
		if len(f.Names) == 0 { // embedded: squashed (the collector always tags them so)
			if name == "" || squash {
				w.squash(p, imps, f.Type, path, depth)
				continue
			}
			w.typ(p, imps, f.Type, join(path, name), depth)
			continue
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			key := name
			if key == "" {
				key = strings.ToLower(n.Name)
			}
			if squash {
				w.squash(p, imps, f.Type, path, depth)
				continue
			}
			w.typ(p, imps, f.Type, join(path, key), depth)
			if strings.Contains(","+opts+",", ",remain,") {
				// The struct keeps the keys it does not name here: it takes any key.
				w.out[join(path, key)] += "+remain"
			}
		}
	}
}

// squash adds the keys of an embedded struct at the embedding struct's level.
func (w *walker) squash(p *pkg, imps map[string]string, e ast.Expr, path string, depth int) {
	sub := &walker{w.l, map[string]string{}, w.stack}
	sub.typ(p, imps, e, "\x00", depth+1)
	for k, v := range sub.out {
		if k == "\x00" {
			if strings.HasSuffix(v, "+custom") {
				if d, ok := w.out[path]; ok && !strings.HasSuffix(d, "+custom") {
					w.out[path] = d + "+custom"
				}
			}
			continue
		}
		w.out[join(path, strings.TrimPrefix(k, "\x00."))] = v
	}
}

func main() {
	var roots []root
	if err := json.NewDecoder(os.Stdin).Decode(&roots); err != nil {
		fmt.Fprintln(os.Stderr, "keys: bad input:", err)
		os.Exit(2)
	}
	result := map[string]any{}
	loaders := map[string]*loader{}
	for _, r := range roots {
		key := r.Module + "@" + r.Version
		l := loaders[key]
		if l == nil {
			l = &loader{map[string]string{}, map[string]string{}, map[string]*pkg{}}
			dir := l.moduleDir(r.Module, r.Version)
			if dir != "" {
				l.requires = readRequires(dir)
			}
			l.requires[r.Module] = r.Version
			loaders[key] = l
		}
		var found *pkg
		for _, ip := range r.Pkgs {
			if p := l.load(ip); p != nil && p.types[r.Type] != nil {
				found = p
				break
			}
		}
		if found == nil {
			result[r.ID] = map[string]string{"error": fmt.Sprintf("no type %s in %v at %s", r.Type, r.Pkgs, r.Version)}
			continue
		}
		w := &walker{l, map[string]string{}, map[string]bool{}}
		w.named(found, r.Type, "", 0)
		keys := make([]string, 0, len(w.out))
		for k := range w.out {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ordered := map[string]string{}
		for _, k := range keys {
			ordered[k] = w.out[k]
		}
		result[r.ID] = ordered
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	_ = enc.Encode(result)
}
