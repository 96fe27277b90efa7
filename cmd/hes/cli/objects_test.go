package cli

import (
	"encoding/json"
	"testing"
)

func TestObjects(t *testing.T) {
	_, addr := startTechMeter(t)
	t.Setenv(envPassword, techPassword)
	out, stderr, status := run(t, "objects", "--tcp", addr, "--auth", "lls")
	if status != ExitOK {
		t.Fatalf("status %d: %s", status, stderr)
	}
	want := `OBJECT           CLASS                  VERSION  ROLE                 ATTRIBUTES                            METHODS
0-0:40.0.0.255   15 Association LN      1        current_association  1:r 2:r 3:- 4:- 5:- 6:- 7:- 8:- 9:-   1:- 2:- 3:- 4:-
0-0:1.0.0.255    8 Clock                0        clock                1:r 2:rw 3:r 4:r 5:r 6:r 7:r 8:r 9:r  1:- 2:- 3:- 4:- 5:- 6:-
0-0:42.0.0.255   1 Data                 0        logical_device_name  1:r 2:r                               -
0-0:43.0.0.255   64 Security setup      0        security_setup       1:- 2:- 3:- 4:- 5:-                   1:- 2:-
0-0:43.1.0.255   1 Data                 0        invocation_counter   1:r 2:r                               -
1-0:1.8.0.255    3 Register             0        import_total         1:r 2:r 3:r                           1:-
1-0:1.8.1.255    3 Register             0        import_day           1:r 2:r 3:r                           1:-
1-0:1.8.2.255    3 Register             0        import_night         1:r 2:r 3:r                           1:-
1-0:99.2.0.255   7 Profile generic      0        daily_values         1:r 2:r 3:r 4:r 5:r 6:r 7:r 8:r       1:- 2:-
0-0:96.3.10.255  70 Disconnect control  0        breaker              1:r 2:r 3:r 4:r                       1:- 2:-
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	out, stderr, status = run(t, "objects", "--tcp", addr, "--auth", "lls", "--json")
	if status != ExitOK {
		t.Fatalf("--json: status %d: %s", status, stderr)
	}
	var got []objectJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || got[1].ClassName != "Clock" || got[1].Role != "clock" || got[1].Attributes[1].Access != "read-and-write" {
		t.Errorf("%s", out)
	}
}
