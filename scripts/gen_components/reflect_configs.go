//go:build ignore

// reflect_configs prints, as JSON, every component factory of a collector
// distribution: its type, deprecated alias, stability per signal, and the key
// tree of its default config as the collector's strict decoder sees it (the
// `mapstructure` tags, squashed embeds, optional sections, maps and lists).
//
// scripts/gen_components.py copies this file next to a distribution's
// `components()` function (the one the OpenTelemetry Collector Builder
// generates, or Jaeger's `internal.Components`) and runs it; the output is
// turned into otdiag/validate/data/*.json. It only reads factories; it starts
// nothing.
package main

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/confmap"
)

type node struct {
	T        string           `json:"t"`
	Keys     map[string]*node `json:"keys,omitempty"`
	V        *node            `json:"v,omitempty"`
	Custom   bool             `json:"custom,omitempty"`
	Optional bool             `json:"optional,omitempty"`
	Remain   bool             `json:"remain,omitempty"`
	GoType   string           `json:"go,omitempty"`
	// Seen by calling the component's own code (see probe.go): the values a text type or a
	// Validate() method accepts, number ranges a Validate() refuses, and whether a custom
	// decoder still refuses unknown keys (and which extra keys it takes).
	Enum   *enumInfo   `json:"enum,omitempty"`
	Reject []rangeRule `json:"reject,omitempty"`
	Strict bool        `json:"strict,omitempty"`
	Extra  []string    `json:"extra,omitempty"`
}

var (
	unmarshalerType     = reflect.TypeOf((*confmap.Unmarshaler)(nil)).Elem()
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
	textMarshalerType   = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

func hasCustomUnmarshal(t reflect.Type) bool {
	return t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)
}

func goName(t reflect.Type) string {
	if t.PkgPath() == "" {
		return t.String()
	}
	return t.PkgPath() + "." + t.Name()
}

func walk(t reflect.Type, seen map[reflect.Type]bool, depth int) *node {
	return walkValue(t, reflect.Value{}, seen, depth)
}

// walkValue is walk with the default value at that place (invalid when there is none), used as
// the starting point when probing what a Validate() method accepts.
func walkValue(t reflect.Type, def reflect.Value, seen map[reflect.Type]bool, depth int) *node {
	if depth > 24 {
		return &node{T: "any"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		def = derefValue(def)
	}
	if strings.HasSuffix(t.PkgPath(), "config/configoptional") && strings.HasPrefix(t.Name(), "Optional[") {
		if f, ok := t.FieldByName("value"); ok {
			var inner reflect.Value
			if def.IsValid() && def.Type() == t {
				inner = unexportedField(def, f.Index)
			}
			n := walkValue(f.Type, inner, seen, depth+1)
			n.Optional = true
			return n
		}
	}
	name := goName(t)
	switch {
	case name == "time.Duration":
		return &node{T: "duration"}
	case name == "time.Time":
		return &node{T: "time"}
	case strings.HasSuffix(t.PkgPath(), "config/configopaque") && t.Kind() == reflect.String:
		return &node{T: "opaque"}
	}
	// Types decoded from a string (component.ID, log levels, enums) are scalars to the config.
	if t.Kind() != reflect.String && (t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)) {
		return &node{T: "text", GoType: name, Enum: textEnum(t)}
	}
	custom := hasCustomUnmarshal(t)
	switch t.Kind() {
	case reflect.Bool:
		return &node{T: "bool", Custom: custom}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &node{T: "int", Custom: custom, GoType: t.Kind().String()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &node{T: "uint", Custom: custom, GoType: t.Kind().String()}
	case reflect.Float32, reflect.Float64:
		return &node{T: "float", Custom: custom}
	case reflect.String:
		n := &node{T: "str", Custom: custom}
		if t.PkgPath() != "" {
			n.GoType = name // named string types: kept for the generator, dropped from the data
		}
		if t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			n.Enum = textEnum(t)
		}
		return n
	case reflect.Slice, reflect.Array:
		return &node{T: "list", V: walk(t.Elem(), seen, depth+1), Custom: custom}
	case reflect.Map:
		return &node{T: "map", V: walk(t.Elem(), seen, depth+1), Custom: custom}
	case reflect.Interface:
		return &node{T: "any"}
	case reflect.Struct:
		if seen[t] {
			return &node{T: "any", GoType: name}
		}
		seen[t] = true
		defer delete(seen, t)
		n := &node{T: "struct", Keys: map[string]*node{}, Custom: custom, GoType: name}
		addFieldsValue(n, t, def, seen, depth)
		if custom {
			n.Strict, n.Extra = strictCustom(t, def, n)
		}
		probeValidate(n, t, def)
		return n
	default:
		return &node{T: "any", GoType: name}
	}
}

func derefValue(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// unexportedField reads a (possibly unexported) field of a struct value.
func unexportedField(v reflect.Value, index []int) reflect.Value {
	if !v.CanAddr() {
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		v = c
	}
	f := v.FieldByIndex(index)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

func addFields(n *node, t reflect.Type, seen map[reflect.Type]bool, depth int) {
	addFieldsValue(n, t, reflect.Value{}, seen, depth)
}

func addFieldsValue(n *node, t reflect.Type, def reflect.Value, seen map[reflect.Type]bool, depth int) {
	if def.IsValid() && def.Type() != t {
		def = reflect.Value{}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		parts := strings.Split(tag, ",")
		key := parts[0]
		opts := parts[1:]
		if key == "-" {
			continue
		}
		squash := false
		for _, o := range opts {
			if o == "squash" {
				squash = true
			}
			if o == "remain" {
				n.Remain = true
			}
		}
		if f.Anonymous && key == "" {
			squash = true
		}
		if !f.IsExported() && !squash {
			continue
		}
		if squash {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if hasCustomUnmarshal(ft) {
					n.Custom = true
				}
				if seen[ft] {
					continue
				}
				seen[ft] = true
				var fdef reflect.Value
				if def.IsValid() {
					fdef = derefValue(unexportedField(def, f.Index))
				}
				addFieldsValue(n, ft, fdef, seen, depth+1)
				delete(seen, ft)
			}
			continue
		}
		if n.Remain && containsRemain(opts) {
			continue
		}
		if key == "" {
			key = strings.ToLower(f.Name)
		}
		var fdef reflect.Value
		if def.IsValid() {
			fdef = unexportedField(def, f.Index)
		}
		n.Keys[key] = walkValue(f.Type, fdef, seen, depth+1)
	}
}

func containsRemain(opts []string) bool {
	for _, o := range opts {
		if o == "remain" {
			return true
		}
	}
	return false
}

// dump turns a default config value into plain data keyed like the config file, including the
// defaults inside optional sections (which the collector's own marshaling leaves out).
func dump(v reflect.Value, depth int) any {
	if depth > 24 || !v.IsValid() {
		return nil
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	t := v.Type()
	if t == reflect.TypeOf(time.Duration(0)) {
		return time.Duration(v.Int()).String()
	}
	if !v.CanAddr() {
		c := reflect.New(t).Elem()
		c.Set(v)
		v = c
	}
	if strings.HasSuffix(t.PkgPath(), "config/configoptional") && strings.HasPrefix(t.Name(), "Optional[") {
		f := v.FieldByName("value")
		return dump(reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem(), depth+1)
	}
	if t.Kind() != reflect.String && (t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
		if m, ok := v.Addr().Interface().(encoding.TextMarshaler); ok {
			if b, err := m.MarshalText(); err == nil {
				return string(b)
			}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.String:
		return v.String()
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := []any{}
		for i := 0; i < v.Len() && i < 100; i++ {
			out = append(out, dump(v.Index(i), depth+1))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[fmt.Sprint(k.Interface())] = dump(v.MapIndex(k), depth+1)
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		dumpFields(out, v, depth)
		return out
	}
	return nil
}

func dumpFields(out map[string]any, v reflect.Value, depth int) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		parts := strings.Split(f.Tag.Get("mapstructure"), ",")
		key := parts[0]
		if key == "-" {
			continue
		}
		squash := f.Anonymous && key == ""
		for _, o := range parts[1:] {
			if o == "squash" {
				squash = true
			}
		}
		fv := v.Field(i)
		if !f.IsExported() {
			if !squash {
				continue
			}
			fv = reflect.NewAt(fv.Type(), unsafe.Pointer(fv.UnsafeAddr())).Elem()
		}
		if squash {
			for fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					break
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if !fv.CanAddr() {
					c := reflect.New(fv.Type()).Elem()
					c.Set(fv)
					fv = c
				}
				dumpFields(out, fv, depth+1)
			}
			continue
		}
		if key == "" {
			key = strings.ToLower(f.Name)
		}
		if d := dump(fv, depth+1); d != nil {
			out[key] = d
		}
	}
}

type componentInfo struct {
	Kind      string            `json:"kind"`
	Type      string            `json:"type"`
	Alias     string            `json:"deprecated_alias,omitempty"`
	Stability map[string]string `json:"stability"`
	Config    *node             `json:"config"`
	Defaults  any               `json:"defaults"`
}

var stabilityMethods = map[string][]string{
	"receiver":  {"Traces", "Metrics", "Logs", "Profiles"},
	"processor": {"Traces", "Metrics", "Logs", "Profiles"},
	"exporter":  {"Traces", "Metrics", "Logs", "Profiles"},
	"connector": {
		"TracesToTraces", "TracesToMetrics", "TracesToLogs", "TracesToProfiles",
		"MetricsToTraces", "MetricsToMetrics", "MetricsToLogs", "MetricsToProfiles",
		"LogsToTraces", "LogsToMetrics", "LogsToLogs", "LogsToProfiles",
		"ProfilesToTraces", "ProfilesToMetrics", "ProfilesToLogs", "ProfilesToProfiles",
	},
}

func stability(kind string, f any) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(f)
	if kind == "extension" {
		if m := v.MethodByName("Stability"); m.IsValid() {
			out["extension"] = fmt.Sprint(m.Call(nil)[0].Interface())
		}
		return out
	}
	for _, s := range stabilityMethods[kind] {
		if m := v.MethodByName(s + "Stability"); m.IsValid() {
			level := fmt.Sprint(m.Call(nil)[0].Interface())
			if level != "Undefined" && level != "" {
				out[snake(s)] = level
			}
		}
	}
	return out
}

func snake(s string) string {
	s = strings.Replace(s, "To", "_to_", 1)
	return strings.ToLower(s)
}

func describe(kind string, key string, f any) componentInfo {
	v := reflect.ValueOf(f)
	typ := fmt.Sprint(v.MethodByName("Type").Call(nil)[0].Interface())
	cfg := v.MethodByName("CreateDefaultConfig").Call(nil)[0].Interface()
	c := componentInfo{Kind: kind, Type: typ, Stability: stability(kind, f), Config: walkValue(reflect.TypeOf(cfg), reflect.ValueOf(cfg), map[reflect.Type]bool{}, 0)}
	if key != typ {
		c.Alias = key
	}
	c.Defaults = dump(reflect.ValueOf(cfg), 0)
	return c
}

func collect[T any](kind string, m map[string]T, out *[]componentInfo) {
	byType := map[string]int{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := describe(kind, k, m[k])
		if i, ok := byType[c.Type]; ok {
			if c.Alias != "" {
				(*out)[i].Alias = c.Alias
			}
			continue
		}
		*out = append(*out, c)
		byType[c.Type] = len(*out) - 1
	}
}

func stringKeys[K interface {
	comparable
	String() string
}, T any](m map[K]T) map[string]T {
	out := make(map[string]T, len(m))
	for k, v := range m {
		out[k.String()] = v
	}
	return out
}

func main() {
	factories, err := components()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var comps []componentInfo
	collect("receiver", stringKeys(factories.Receivers), &comps)
	collect("processor", stringKeys(factories.Processors), &comps)
	collect("exporter", stringKeys(factories.Exporters), &comps)
	collect("connector", stringKeys(factories.Connectors), &comps)
	collect("extension", stringKeys(factories.Extensions), &comps)
	out := map[string]any{"components": comps}
	if factories.Telemetry != nil {
		cfg := factories.Telemetry.CreateDefaultConfig()
		out["telemetry"] = walkValue(reflect.TypeOf(cfg), reflect.ValueOf(cfg), map[reflect.Type]bool{}, 0)
		out["telemetry_defaults"] = dump(reflect.ValueOf(cfg), 0)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// --- probing: what the component's own code accepts ---------------------------------------------------
//
// Nothing below is typed by hand: candidate values are the string literals of the package that
// declares a type, and each is handed to the type's own UnmarshalText, Validate() or Unmarshal.

type enumInfo struct {
	Values []string        `json:"values"`
	Fold   bool            `json:"fold,omitempty"`
	Error  string          `json:"error"`
	Stage  string          `json:"stage,omitempty"`
	When   map[string]bool `json:"when,omitempty"`
}

type rangeRule struct {
	Range [2]*float64     `json:"range"`
	Error string          `json:"error"`
	When  map[string]bool `json:"when,omitempty"`
}

const probeWord = "otdiagprobe"

var (
	literalCache = map[string][]string{}
	textCache    = map[reflect.Type]*enumInfo{}
	validatorT   = reflect.TypeOf((*interface{ Validate() error })(nil)).Elem()
	keyLike      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// literals: the string literals of a package's non-test Go files (found with `go list`).
func literals(pkg string) []string {
	if pkg == "" {
		return nil
	}
	if out, ok := literalCache[pkg]; ok {
		return out
	}
	literalCache[pkg] = nil
	dir, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(dir)), "*.go"))
	seen := map[string]bool{}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			continue
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && len(s) <= 64 && !strings.ContainsAny(s, "\n%") && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
			return true
		})
	}
	sort.Strings(out)
	literalCache[pkg] = out
	return out
}

// try calls f, turning a panic into an error (probing must never stop the generator).
func try(f func() error) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			err, panicked = fmt.Errorf("panic: %v", r), true
		}
	}()
	return f(), false
}

func unmarshalText(t reflect.Type, s string) (error, bool) {
	p := reflect.New(t)
	u, ok := p.Interface().(encoding.TextUnmarshaler)
	if !ok {
		return errors.New("not a text unmarshaler"), true
	}
	return try(func() error { return u.UnmarshalText([]byte(s)) })
}

// textEnum: the values a text type accepts, when it accepts only a few known words.
func textEnum(t reflect.Type) *enumInfo {
	if e, ok := textCache[t]; ok {
		return e
	}
	textCache[t] = nil
	bad, panicked := unmarshalText(t, probeWord)
	if bad == nil || panicked {
		return nil
	}
	cands := literals(t.PkgPath())
	accepted := []string{}
	in := map[string]bool{}
	for _, c := range cands {
		if err, p := unmarshalText(t, c); err == nil && !p {
			accepted = append(accepted, c)
			in[c] = true
		}
	}
	// Shapes no literal has: when one of them passes, the type takes more than a list of words.
	for _, c := range []string{"12345", "1.5", "1s", "a/b", "x-y", "Otdiag", "0"} {
		if err, _ := unmarshalText(t, c); err == nil && !in[c] {
			return nil
		}
	}
	if len(accepted) == 0 || len(accepted) > 64 {
		return nil
	}
	// An open family built on the words (pipeline IDs: traces, traces/name) is no enum either.
	for _, a := range accepted {
		for _, c := range []string{a + "/" + probeWord, a + probeWord, a + "." + probeWord} {
			if err, _ := unmarshalText(t, c); err == nil {
				return nil
			}
		}
	}
	fold := true
	for _, a := range accepted {
		if err, _ := unmarshalText(t, strings.ToUpper(a)); err != nil && strings.ToUpper(a) != a {
			fold = false
		}
	}
	e := &enumInfo{Values: accepted, Fold: fold, Error: strings.ReplaceAll(bad.Error(), probeWord, "{value}")}
	textCache[t] = e
	return e
}

func validate(p reflect.Value) (error, bool) {
	v, ok := p.Interface().(interface{ Validate() error })
	if !ok {
		return nil, true
	}
	return try(v.Validate)
}

// baseline: a value of struct type t whose Validate() passes: its default there, else its zero value.
func baseline(t reflect.Type, def reflect.Value) reflect.Value {
	for _, cand := range []reflect.Value{def, reflect.Zero(t)} {
		if !cand.IsValid() || cand.Type() != t {
			continue
		}
		p := reflect.New(t)
		p.Elem().Set(cand)
		if err, panicked := validate(p); err == nil && !panicked {
			return cand
		}
	}
	return reflect.Value{}
}

// mentions: the error is about this field (names it, or the probed value), not another rule.
func mentions(err error, key string, field reflect.StructField, probe string) bool {
	msg := strings.ToLower(err.Error())
	for _, w := range []string{key, strings.ReplaceAll(key, "_", " "), strings.ToLower(field.Name), probe} {
		if w != "" && strings.Contains(msg, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// probeValidate: for each scalar field of a struct with a Validate() method, set it alone to probe
// values on a valid baseline and record which values Validate() refuses.
func probeValidate(n *node, t reflect.Type, def reflect.Value) {
	if !reflect.PointerTo(t).Implements(validatorT) {
		return
	}
	base := baseline(t, def)
	if !base.IsValid() {
		return
	}
	// Fields probed: the struct's own and those of structs it squashes (embedded), by index path.
	type field struct {
		index []int
		f     reflect.StructField
		key   string
	}
	var fields []field
	var collect func(t reflect.Type, prefix []int, depth int)
	collect = func(t reflect.Type, prefix []int, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			parts := strings.Split(f.Tag.Get("mapstructure"), ",")
			squash := f.Anonymous && parts[0] == ""
			for _, o := range parts[1:] {
				squash = squash || o == "squash"
			}
			idx := append(append([]int{}, prefix...), i)
			if squash && f.Type.Kind() == reflect.Struct && depth < 4 {
				collect(f.Type, idx, depth+1)
				continue
			}
			if !f.IsExported() || f.Anonymous || parts[0] == "" || parts[0] == "-" {
				continue
			}
			fields = append(fields, field{idx, f, parts[0]})
		}
	}
	collect(t, nil, 0)
	with := func(at []int, set func(f reflect.Value), flip []int) (error, bool) {
		p := reflect.New(t)
		p.Elem().Set(base)
		set(p.Elem().FieldByIndex(at))
		if flip != nil {
			b := p.Elem().FieldByIndex(flip)
			b.SetBool(!b.Bool())
		}
		return validate(p)
	}
	// The bool fields a rule may hang on (`if cfg.Enabled && cfg.Size <= 0`): a rule that no
	// longer fires when one is flipped holds only while that bool keeps its baseline value.
	var bools []field
	for _, fl := range fields {
		if fl.f.Type.Kind() == reflect.Bool {
			bools = append(bools, fl)
		}
	}
	when := func(at []int, set func(f reflect.Value)) map[string]bool {
		out := map[string]bool{}
		for _, b := range bools {
			if fmt.Sprint(b.index) == fmt.Sprint(at) {
				continue
			}
			if err, panicked := with(at, set, b.index); err == nil && !panicked {
				out[b.key] = base.FieldByIndex(b.index).Bool()
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	for _, fl := range fields {
		f, key, i := fl.f, fl.key, fl.index
		child := n.Keys[key]
		if child == nil || child.Custom {
			continue
		}
		ft := f.Type
		switch {
		case ft.Kind() == reflect.String && child.Enum == nil:
			setProbe := func(v reflect.Value) { v.SetString(probeWord) }
			bad, panicked := with(i, setProbe, nil)
			if bad == nil || panicked || !mentions(bad, key, f, probeWord) {
				continue
			}
			accepted := []string{}
			for _, c := range append(literals(t.PkgPath()), literals(ft.PkgPath())...) {
				if err, p := with(i, func(v reflect.Value) { v.SetString(c) }, nil); err == nil && !p && !contains(accepted, c) {
					accepted = append(accepted, c)
				}
			}
			// Candidates are this package's literals; a Validate() that checks against a registry
			// filled elsewhere (gRPC balancers: only round_robin is a literal here) accepts more.
			// Trusted when its error lists the values it takes, or when several literals pass
			// (a table of its own, such as TLS versions).
			if len(accepted) > 0 && len(accepted) <= 64 && listsValues(bad, accepted) {
				sort.Strings(accepted)
				child.Enum = &enumInfo{
					Values: accepted, Error: strings.ReplaceAll(bad.Error(), probeWord, "{value}"),
					Stage: "validate", When: when(i, setProbe),
				}
			}
		case child.T == "int" || child.T == "uint" || child.T == "float" || child.T == "duration":
			// Only the sign is probed: an upper bound seen on one baseline often depends on
			// another field's value (compression levels depend on the compression), a sign rarely.
			set := func(pv float64) func(v reflect.Value) {
				return func(v reflect.Value) {
					switch v.Kind() {
					case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
						v.SetInt(int64(pv))
					case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
						v.SetUint(uint64(pv))
					case reflect.Float32, reflect.Float64:
						v.SetFloat(pv)
					}
				}
			}
			fails := map[float64]error{}
			broken := false
			for _, pv := range []float64{-1, 0, 1} {
				if child.T == "uint" && pv < 0 {
					continue
				}
				err, panicked := with(i, set(pv), nil)
				if panicked {
					broken = true
					break
				}
				if err != nil && mentions(err, key, f, "") {
					fails[pv] = err
				}
			}
			if broken || fails[1] != nil {
				continue // refuses the plainest value: a rule tied to other fields, not to this one
			}
			lo, zero := -1.0, 0.0
			switch {
			case fails[-1] != nil && fails[0] != nil:
				child.Reject = append(child.Reject, rangeRule{Range: [2]*float64{nil, &zero}, Error: fails[0].Error(), When: when(i, set(0))})
			case fails[-1] != nil:
				child.Reject = append(child.Reject, rangeRule{Range: [2]*float64{nil, &lo}, Error: fails[-1].Error(), When: when(i, set(-1))})
			case fails[0] != nil:
				child.Reject = append(child.Reject, rangeRule{Range: [2]*float64{&zero, &zero}, Error: fails[0].Error(), When: when(i, set(0))})
			}
		}
	}
}

func listsValues(err error, values []string) bool {
	named, want := 0, 0
	for _, v := range values {
		if v == "" {
			continue
		}
		want++
		if strings.Contains(err.Error(), v) {
			named++
		}
	}
	if want >= 2 && named == 0 {
		return true // several values of its own, none named in the error (TLS versions)
	}
	if want > 2 {
		want = 2
	}
	return want > 0 && named >= want
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// strictCustom: whether a custom decoder still refuses unknown keys (it ends in conf.Unmarshal,
// as most do), and which keys beyond the struct's own it takes.
func strictCustom(t reflect.Type, def reflect.Value, n *node) (bool, []string) {
	call := func(m map[string]any) (error, bool) {
		p := reflect.New(t)
		if def.IsValid() && def.Type() == t {
			p.Elem().Set(def)
		}
		u, ok := p.Interface().(confmap.Unmarshaler)
		if !ok {
			return errors.New("no Unmarshal"), true
		}
		return try(func() error { return u.Unmarshal(confmap.NewFromStringMap(m)) })
	}
	refused := func(err error, key string) bool {
		return err != nil && strings.Contains(err.Error(), "invalid keys") && strings.Contains(err.Error(), key)
	}
	probe := "otdiag_probe_key"
	if err, panicked := call(map[string]any{probe: 1}); panicked || !refused(err, probe) {
		return false, nil
	}
	var extra []string
	for _, lit := range literals(t.PkgPath()) {
		if !keyLike.MatchString(lit) || n.Keys[lit] != nil {
			continue
		}
		if err, _ := call(map[string]any{lit: nil}); !refused(err, lit) {
			extra = append(extra, lit)
		}
	}
	return true, extra
}
