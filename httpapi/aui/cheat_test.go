package aui

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// seedCheatData is the data string of the seed's addCheatRecord example.
const seedCheatData = `[{"detectTime":232323,"isMainMonitor":true,"detectType":"11","userId":"userewexx","extraInfo":"{222}2"},{"detectTime":232324,"isMainMonitor":true,"detectType":"12","userId":"userewexx","extraInfo":"{222}2"}]`

func TestParseCheatRecords(t *testing.T) {
	tests := []struct {
		name, data string
		want       []*examhall.CheatRecord
	}{
		{"seed", seedCheatData, []*examhall.CheatRecord{
			{UserID: "userewexx", DetectType: "11", IsMainMonitor: true, DetectTime: 232323, ExtraInfo: "{222}2"},
			{UserID: "userewexx", DetectType: "12", IsMainMonitor: true, DetectTime: 232324, ExtraInfo: "{222}2"},
		}},
		{"object extraInfo kept as compact JSON", `[{"userId":"u","detectType":"manyPeople","detectTime":1710752213000,"extraInfo":{ "message" : "两人", "n": [1, 2] }}]`,
			[]*examhall.CheatRecord{{UserID: "u", DetectType: "manyPeople", DetectTime: 1710752213000, ExtraInfo: `{"message":"两人","n":[1,2]}`}}},
		{"defaults and unknown keys", `[{"userId":"u","detectType":"t","detectTime":0,"extraInfo":null,"isMainMonitor":null,"camera":"pc"}]`,
			[]*examhall.CheatRecord{{UserID: "u", DetectType: "t"}}},
		{"exponent time", `[{"userId":"u","detectType":"t","detectTime":1.7e12,"isMainMonitor":false}]`,
			[]*examhall.CheatRecord{{UserID: "u", DetectType: "t", DetectTime: 1700000000000}}},
		{"last ms of 9999", `[{"userId":"u","detectType":"t","detectTime":253402300799999}]`,
			[]*examhall.CheatRecord{{UserID: "u", DetectType: "t", DetectTime: 253402300799999}}},
		{"1000 records", "[" + strings.Repeat(`{"userId":"u","detectType":"t","detectTime":1},`, 999) + `{"userId":"u","detectType":"t","detectTime":1}]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCheatRecords(tt.data)
			if err != nil {
				t.Fatalf("ParseCheatRecords: %v", err)
			}
			if tt.want == nil {
				if len(got) != 1000 {
					t.Errorf("got %d records, want 1000", len(got))
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCheatRecordsErrors(t *testing.T) {
	rec := func(fields string) string { return `{"userId":"u","detectType":"t","detectTime":1` + fields + `}` }
	tests := []struct {
		name, data, code, msg string
	}{
		{"not JSON", `[{`, examhall.EINVALID, "data is not a JSON array of cheat records: malformed JSON at byte 2: unexpected end of JSON input"},
		{"object", rec(""), examhall.EINVALID, "data must be a JSON array of cheat records, not object"},
		{"string", `"[]"`, examhall.EINVALID, "data must be a JSON array of cheat records, not string"},
		{"empty", `[]`, examhall.EINVALID, "data holds no cheat records"},
		{"null", `null`, examhall.EINVALID, "data holds no cheat records"},
		{"1001", "[" + strings.Repeat(rec("")+",", 1000) + rec("") + "]", examhall.ETOOLARGE, "data holds 1001 cheat records; at most 1000 are allowed per call"},
		{"record not object", `[` + rec("") + `,[]]`, examhall.EINVALID, "record 1: must be an object, not array"},
		{"no userId", `[{"detectType":"t","detectTime":1}]`, examhall.EINVALID, "record 0: userId is required"},
		{"no detectType", `[` + rec("") + `,` + rec("") + `,` + rec("") + `,{"userId":"u","detectTime":1}]`, examhall.EINVALID, "record 3: detectType is required"},
		{"no detectTime", `[{"userId":"u","detectType":"t"}]`, examhall.EINVALID, "record 0: detectTime is required"},
		{"null detectTime", `[{"userId":"u","detectType":"t","detectTime":null}]`, examhall.EINVALID, "record 0: detectTime is required"},
		{"fractional detectTime", `[{"userId":"u","detectType":"t","detectTime":1.5}]`, examhall.EINVALID, "record 0: detectTime must be a whole number of milliseconds"},
		{"negative detectTime", `[{"userId":"u","detectType":"t","detectTime":-1}]`, examhall.EINVALID, "record 0: detectTime must not be negative"},
		{"detectTime past 9999", `[{"userId":"u","detectType":"t","detectTime":253402300800000}]`, examhall.EINVALID, "record 0: detectTime is after the year 9999"},
		{"detectTime string", `[{"userId":"u","detectType":"t","detectTime":"232323"}]`, examhall.EINVALID, "record 0: detectTime must be a number of milliseconds, not string"},
		{"userId number", `[{"userId":7,"detectType":"t","detectTime":1}]`, examhall.EINVALID, `record 0: field "userId" must be a string, not a number`},
		{"long detectType", `[{"userId":"u","detectType":"` + strings.Repeat("t", 65) + `","detectTime":1}]`, examhall.EINVALID, "record 0: detectType must be at most 64 characters"},
		{"extraInfo number", `[` + rec(`,"extraInfo":5`) + `]`, examhall.EINVALID, "record 0: extraInfo must be a string or an object, not number"},
		{"long extraInfo object", `[` + rec(`,"extraInfo":{"m":"`+strings.Repeat("x", 8190)+`"}`) + `]`, examhall.EINVALID, "record 0: extraInfo must be at most 8192 bytes"},
		{"isMainMonitor string", `[` + rec(`,"isMainMonitor":"true"`) + `]`, examhall.EINVALID, `record 0: field "isMainMonitor" must be a boolean, not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCheatRecords(tt.data)
			if err == nil {
				t.Fatalf("ParseCheatRecords = %d records, want error %q", len(got), tt.msg)
			}
			if code, msg := examhall.ErrorCode(err), examhall.ErrorMessage(err); code != tt.code || msg != tt.msg {
				t.Errorf("error = %s %q, want %s %q", code, msg, tt.code, tt.msg)
			}
		})
	}
}
