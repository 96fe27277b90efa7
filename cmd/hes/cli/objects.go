package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/session"
	"github.com/openhes/hes/meter"
)

func newObjectsCmd(g *globals) *cobra.Command {
	o := &connectOptions{}
	cmd := &cobra.Command{
		Use:   "objects",
		Short: "List the objects that the association sees, with its access rights",
		Long: `List the object list of the current association (0-0:40.0.0.255): every
COSEM object that the association sees, its interface class and version,
its role in the default meter profile, and what the association may do with
each attribute (r read, w write, rw both, - nothing; an "a" before them means
authenticated only) and each method (x may invoke, - may not).`,
		Example: `  hes objects --tcp 10.0.0.7:4059
  HES_PASSWORD=... hes objects --serial /dev/ttyUSB0 --optical --auth lls --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []meter.ListedObject
			err := o.withMeter(cmd, g, func(ctx context.Context, c *meter.Client) error {
				var err error
				list, err = c.ReadObjectList(ctx, session.CurrentAssociation)
				return err
			})
			if err != nil {
				return err
			}
			return printObjects(g, list)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// objectJSON is one object of the list, for JSON.
type objectJSON struct {
	OBIS       dlms.OBIS         `json:"obis"`
	Class      dlms.ClassID      `json:"class"`
	ClassName  string            `json:"class_name"`
	Version    uint8             `json:"version"`
	Role       meter.Role        `json:"role,omitempty"`
	Attributes []attributeJSON   `json:"attributes"`
	Methods    []methodRightJSON `json:"methods"`
}

type attributeJSON struct {
	Attribute int8    `json:"attribute"`
	Access    string  `json:"access"`
	Selectors []uint8 `json:"selectors,omitempty"`
}

type methodRightJSON struct {
	Method int8   `json:"method"`
	Access string `json:"access"`
}

func printObjects(g *globals, list []meter.ListedObject) error {
	p, err := meter.LookupProfile(defaultMeterProfile)
	if err != nil {
		return err
	}
	role := func(o dlms.OBIS) meter.Role {
		r, _ := p.Role(o)
		return r
	}
	if g.json {
		out := make([]objectJSON, len(list))
		for i, o := range list {
			j := objectJSON{OBIS: o.OBIS, Class: o.Class, ClassName: o.Class.String(), Version: o.Version, Role: role(o.OBIS),
				Attributes: []attributeJSON{}, Methods: []methodRightJSON{}}
			for _, a := range o.Attributes {
				j.Attributes = append(j.Attributes, attributeJSON{Attribute: a.Attribute, Access: a.Mode.String(), Selectors: a.Selectors})
			}
			for _, m := range o.Methods {
				j.Methods = append(j.Methods, methodRightJSON{Method: m.Method, Access: m.Mode.String()})
			}
			out[i] = j
		}
		return writeJSON(g.stdout, out)
	}
	t := newTableOf("object", "class", "version", "role", "attributes", "methods")
	for _, o := range list {
		attrs := make([]string, len(o.Attributes))
		for i, a := range o.Attributes {
			attrs[i] = strconv.Itoa(int(a.Attribute)) + ":" + attributeSymbol(a.Mode)
		}
		methods := make([]string, len(o.Methods))
		for i, m := range o.Methods {
			methods[i] = strconv.Itoa(int(m.Method)) + ":" + methodSymbol(m.Mode)
		}
		r := string(role(o.OBIS))
		t.add(o.OBIS.String(), strconv.Itoa(int(o.Class))+" "+o.Class.String(), strconv.Itoa(int(o.Version)),
			orDash(r), orDash(strings.Join(attrs, " ")), orDash(strings.Join(methods, " ")))
	}
	return t.write(g.stdout)
}

func attributeSymbol(m meter.AttributeAccessMode) string {
	switch m {
	case meter.AttributeNoAccess:
		return "-"
	case meter.AttributeReadOnly:
		return "r"
	case meter.AttributeWriteOnly:
		return "w"
	case meter.AttributeReadWrite:
		return "rw"
	case meter.AttributeAuthenticatedReadOnly:
		return "ar"
	case meter.AttributeAuthenticatedWriteOnly:
		return "aw"
	case meter.AttributeAuthenticatedReadAndWrite:
		return "arw"
	}
	return "?" + strconv.Itoa(int(m))
}

func methodSymbol(m meter.MethodAccessMode) string {
	switch m {
	case meter.MethodNoAccess:
		return "-"
	case meter.MethodAccess:
		return "x"
	case meter.MethodAuthenticatedAccess:
		return "ax"
	}
	return "?" + strconv.Itoa(int(m))
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
