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
	"fmt"
	"os"
	"reflect"
	"sort"
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
	if depth > 24 {
		return &node{T: "any"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if strings.HasSuffix(t.PkgPath(), "config/configoptional") && strings.HasPrefix(t.Name(), "Optional[") {
		if f, ok := t.FieldByName("value"); ok {
			n := walk(f.Type, seen, depth+1)
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
		return &node{T: "text", GoType: name}
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
		return &node{T: "str", Custom: custom}
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
		addFields(n, t, seen, depth)
		return n
	default:
		return &node{T: "any", GoType: name}
	}
}

func addFields(n *node, t reflect.Type, seen map[reflect.Type]bool, depth int) {
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
				addFields(n, ft, seen, depth+1)
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
		n.Keys[key] = walk(f.Type, seen, depth+1)
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
	c := componentInfo{Kind: kind, Type: typ, Stability: stability(kind, f), Config: walk(reflect.TypeOf(cfg), map[reflect.Type]bool{}, 0)}
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
		out["telemetry"] = walk(reflect.TypeOf(cfg), map[reflect.Type]bool{}, 0)
		out["telemetry_defaults"] = dump(reflect.ValueOf(cfg), 0)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
