package latency

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/usched/usched"
)

// preemptStats returns the fields of st, and of its per-P total, whose
// names speak of preemption (the watcher in force and why, preemptions,
// escalations, spare Ms), by reflection: the experiment reports whatever
// this version of usched counts without naming fields that older or newer
// versions may lack.
func preemptStats(st usched.Stats) map[string]string {
	out := map[string]string{}
	collect := func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.ToLower(f.Name)
			for _, word := range []string{"preempt", "escalat", "spare", "demot", "signal", "watcher", "handoff"} {
				if !strings.Contains(name, word) {
					continue
				}
				fv := v.Field(i)
				if fv.Kind() == reflect.Struct { // e.g. Stats.Preemption: one entry per field
					for j := range fv.NumField() {
						if fv.Type().Field(j).IsExported() {
							out[prefix+f.Name+"."+fv.Type().Field(j).Name] = fmt.Sprint(fv.Field(j).Interface())
						}
					}
				} else {
					out[prefix+f.Name] = fmt.Sprint(fv.Interface())
				}
				break
			}
		}
	}
	collect("", reflect.ValueOf(st))
	collect("Total.", reflect.ValueOf(st.Total()))
	return out
}
