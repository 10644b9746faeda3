package web

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"

	"examhall"
)

// TestCatalogs keeps the message catalogues complete: the same keys in every
// language, and every key the templates, the Go code and the script use.
func TestCatalogs(t *testing.T) {
	base := catalogs[languages[0]]
	for _, lang := range languages[1:] {
		for k := range base {
			if _, ok := catalogs[lang][k]; !ok {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
		for k := range catalogs[lang] {
			if _, ok := base[k]; !ok {
				t.Errorf("%s lacks %q", languages[0], k)
			}
		}
	}
	used := slices.Clone(scriptMessages)
	re := regexp.MustCompile(`\.T "([a-zA-Z0-9.]+)"`)
	err := fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := assets.ReadFile(p)
		for _, m := range re.FindAllSubmatch(b, -1) {
			used = append(used, string(m[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []examhall.AttemptStatus{examhall.AttemptInProgress, examhall.AttemptMarking, examhall.AttemptMarked, examhall.AttemptPublished} {
		used = append(used, "attempt.status."+string(s))
	}
	for _, q := range []examhall.QuestionType{examhall.QuestionSingle, examhall.QuestionMultiple, examhall.QuestionTrueFalse, examhall.QuestionFill, examhall.QuestionShort} {
		used = append(used, "question.type."+string(q))
	}
	for _, k := range used {
		if _, ok := base[k]; !ok {
			t.Errorf("catalogues lack %q", k)
		}
	}
}

func TestPreferred(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "zh-CN",
		"en":                      "en",
		"en-GB,zh;q=0.5":          "en",
		"zh-TW,en;q=0.9":          "zh-CN",
		"fr-FR,en;q=0.3,zh;q=0.2": "en",
		"de":                      "zh-CN",
		"en;q=0.1,zh-CN;q=0.9":    "zh-CN",
	} {
		if got := preferred(header); got != want {
			t.Errorf("preferred(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/v5/exam/1":           "/v5/exam/1",
		"/attempts/x?y=1":      "/attempts/x?y=1",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"":                     "/",
		"/a\r\nSet-Cookie: x":  "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
