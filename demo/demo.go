// Package demo seeds a realistic demo into an empty store: a three-level
// department tree, staff and a few hundred candidates, a proctored exam
// running now with its room, roster, audio library, broadcasts, playlist and
// cheat config, past exams with published, ranked attempts, an upcoming exam,
// and open-API credentials. It goes through the domain services only, so it
// works on every store.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"time"

	"examhall"
)

// Deps are the services the demo writes through.
type Deps struct {
	Users    examhall.UserService
	Depts    examhall.DepartmentService
	Exams    examhall.ExamService
	Attempts examhall.AttemptService
	Rooms    examhall.RoomService
	Audio    examhall.AudioService
	Cheat    examhall.CheatService
	Auth     examhall.Authenticator
	Apps     examhall.AppAuthenticator

	HashPassword         func(string) (string, error)
	ExamineeClientURL    string
	InvigilatorClientURL string
	JoinMargin           time.Duration
	Now                  time.Time
	// Candidates is how many extra candidates take the past exams (default 300).
	Candidates int
}

// Login is an account and its generated password.
type Login struct {
	Role     examhall.Role
	Account  string
	Password string
}

// Link is one person's join link.
type Link struct {
	Role examhall.Role
	Name string
	URL  string
}

// Result is what the demo created that a person needs to try it.
type Result struct {
	Logins    []Login
	RoomID    string
	RoomName  string
	ExamID    string
	Links     []Link
	AppID     string
	AppSecret string
	// PracticeExamID is an exam open now, with all five question types,
	// that every candidate may take in the browser.
	PracticeExamID string
}

// Empty reports whether the store has no users yet, the only state in which
// the demo seeds.
func Empty(ctx context.Context, users examhall.UserService) (bool, error) {
	_, n, err := users.FindUsers(ctx, examhall.UserFilter{Limit: 1})
	return n == 0, err
}

var depts = []string{
	"Acme/Sales Center/Sales",
	"Acme/Sales Center/Marketing",
	"Acme/R&D Center/Development",
	"Acme/R&D Center/Quality",
	"Acme/Operations/Support",
	"Acme/Operations/Finance",
}

var roomExaminees = []string{"张三", "李四", "王五", "赵六", "陈七", "刘八"}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
var givenNames = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "翰林", "一鸣"}

// Seed creates the demo. It is not idempotent: call it on an empty store.
func Seed(ctx context.Context, d Deps) (*Result, error) {
	if d.Candidates == 0 {
		d.Candidates = 300
	}
	s := &seeder{Deps: d, res: &Result{}, rnd: mrand.New(mrand.NewPCG(uint64(d.Now.UnixNano()), 7))}
	steps := []func(context.Context) error{s.people, s.audio, s.proctoredExam, s.practiceExam, s.pastExams, s.upcomingExam, s.app}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	return s.res, nil
}

type seeder struct {
	Deps
	res        *Result
	rnd        *mrand.Rand
	deptIDs    []string
	admin      *examhall.User
	teacher    *examhall.User
	examinees  []*examhall.User // on the proctored room's roster
	candidates []*examhall.User
	audios     []*examhall.Audio
}

func password() string {
	b := make([]byte, 9)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// user creates a user; with login set it gets a generated password that the
// result reports.
func (s *seeder) user(ctx context.Context, account, name string, role examhall.Role, deptID string, login bool) (*examhall.User, error) {
	u := &examhall.User{Account: account, Name: name, Role: role, DeptID: deptID}
	if login {
		p := password()
		h, err := s.HashPassword(p)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
		s.res.Logins = append(s.res.Logins, Login{Role: role, Account: account, Password: p})
	}
	return u, s.Users.CreateUser(ctx, u)
}

func (s *seeder) people(ctx context.Context) error {
	for _, p := range depts {
		d, err := s.Depts.EnsureDepartmentPath(ctx, p)
		if err != nil {
			return err
		}
		s.deptIDs = append(s.deptIDs, d.ID)
	}
	var err error
	if s.admin, err = s.user(ctx, "admin", "Administrator", examhall.RoleAdmin, "", true); err != nil {
		return err
	}
	if s.teacher, err = s.user(ctx, "teacher1", "王老师", examhall.RoleInvigilator, s.deptIDs[3], true); err != nil {
		return err
	}
	for i, name := range roomExaminees {
		u, err := s.user(ctx, fmt.Sprintf("student%d", i+1), name, examhall.RoleExaminee, s.deptIDs[i%len(s.deptIDs)], i == 0)
		if err != nil {
			return err
		}
		s.examinees = append(s.examinees, u)
	}
	for i := range s.Candidates {
		name := string(surnames[s.rnd.IntN(len(surnames))]) + givenNames[s.rnd.IntN(len(givenNames))]
		u, err := s.user(ctx, fmt.Sprintf("c%04d", i+1), name, examhall.RoleExaminee, s.deptIDs[s.rnd.IntN(len(s.deptIDs))], false)
		if err != nil {
			return err
		}
		s.candidates = append(s.candidates, u)
	}
	return nil
}

func (s *seeder) audio(ctx context.Context) error {
	clips := []struct {
		classify int
		name     string
	}{
		{0, "考试开始提示"}, {0, "考试结束前15分钟提醒"}, {0, "考试结束提示"},
		{1, "考场纪律说明"}, {1, "请调整摄像头角度"}, {1, "请保持安静"}, {2, "网络异常处理说明"},
	}
	for i, c := range clips {
		a := &examhall.Audio{
			Classify: c.classify,
			Name:     c.name,
			URL:      fmt.Sprintf("https://cdn.example.com/exam-audio/%02d.mp3", i+1),
			OSSURL:   fmt.Sprintf("oss://exam-audio/%02d.mp3", i+1),
		}
		if err := s.Audio.CreateAudio(ctx, a); err != nil {
			return err
		}
		s.audios = append(s.audios, a)
	}
	return nil
}

// The cheat config of the seed document, every detection on.
const cheatConfig = `{"pc":{"scenePersonExit":true,"manyPeople":true,"actionPoseStandup":true,"actionPoseHandup":true,"actionHeadUpDown":true,"headShaking":true,"objectDetect":true,"actionPersonSpeech":true},"mobile":{"scenePersonExit":true,"manyPeople":true,"actionPoseStandup":true,"actionPoseHandup":true,"actionHeadUpDown":true,"headShaking":true,"objectDetect":true,"actionPersonSpeech":true}}`

func (s *seeder) proctoredExam(ctx context.Context) error {
	begin := s.Now.Truncate(time.Minute).Add(-30 * time.Minute)
	ids := make([]string, len(s.examinees))
	for i, u := range s.examinees {
		ids[i] = u.ID
	}
	e := &examhall.Exam{
		Name: "2026全国本科艺术考试(远程监考)", BeginTime: begin, EndTime: begin.Add(24 * time.Hour),
		AnswerMinutes: 120, PassScore: 60, AllowTimes: 1, IntegralRate: examhall.DefaultIntegralRate,
		Audience: examhall.AudienceUsers, AudienceUserIDs: ids, Status: examhall.ExamPublished, CreatedBy: s.admin.ID,
		Proctoring: examhall.Proctoring{SwitchLimit: 5, SwitchMaxSeconds: 60, SnapshotSeconds: 30, FaceCheck: true},
	}
	if err := s.Exams.CreateExam(ctx, e); err != nil {
		return err
	}
	if err := s.Exams.SetPaper(ctx, e.ID, paper(5, 20)); err != nil {
		return err
	}
	if err := s.Audio.SetBroadcasts(ctx, e.ID, []examhall.ScheduledAudio{
		{AudioID: s.audios[0].ID, StartTime: begin.Add(5 * time.Minute)},
		{AudioID: s.audios[1].ID, StartTime: begin.Add(105 * time.Minute)},
		{AudioID: s.audios[2].ID, StartTime: begin.Add(120 * time.Minute)},
	}); err != nil {
		return err
	}
	if err := s.Audio.SetPlaylist(ctx, e.ID, []string{s.audios[3].ID, s.audios[4].ID, s.audios[5].ID}); err != nil {
		return err
	}
	if err := s.Cheat.SetCheatConfig(ctx, &examhall.CheatConfig{ExamID: e.ID, Data: cheatConfig}); err != nil {
		return err
	}
	r := &examhall.Room{Name: "考场名称-2026全国本科艺术考试第0001考场", ExamID: e.ID, CreatedBy: s.teacher.ID}
	if err := s.Rooms.CreateRoom(ctx, r); err != nil {
		return err
	}
	if r.IMGroupID == "" {
		if _, err := s.Rooms.UpdateRoom(ctx, r.ID, examhall.RoomUpdate{IMGroupID: &r.ID}); err != nil {
			return err
		}
	}
	members := []examhall.Member{{UserID: s.teacher.ID, Role: examhall.RoleInvigilator}}
	for _, u := range s.examinees {
		members = append(members, examhall.Member{UserID: u.ID, Role: examhall.RoleExaminee})
	}
	if err := s.Rooms.AddMembers(ctx, r.ID, members); err != nil {
		return err
	}
	s.res.RoomID, s.res.RoomName, s.res.ExamID = r.ID, r.Name, e.ID

	exp := examhall.JoinExpiry(e, s.JoinMargin, s.Now)
	people := append([]*examhall.User{s.teacher}, s.examinees...)
	for _, u := range people {
		tok, err := s.Auth.JoinToken(u, r.ID, exp)
		if err != nil {
			return err
		}
		inv := u.Role == examhall.RoleInvigilator
		base := s.ExamineeClientURL
		if inv {
			base = s.InvigilatorClientURL
		}
		s.res.Links = append(s.res.Links, Link{Role: u.Role, Name: u.Name, URL: examhall.JoinLink(base, r.ID, u.ID, tok, inv)})
	}
	return nil
}

// paper returns n objective questions of score points each, of every type.
func paper(n int, score float64) []*examhall.Question {
	qs := make([]*examhall.Question, n)
	for i := range qs {
		q := &examhall.Question{ID: fmt.Sprintf("q%02d", i+1), Score: score}
		switch i % 4 {
		case 0:
			q.Type, q.Stem = examhall.QuestionSingle, fmt.Sprintf("第%d题: 会计的基本职能是?", i+1)
			q.Options, q.Correct = []string{"核算与监督", "预测与决策", "计划与控制", "分析与考核"}, []int{0}
		case 1:
			q.Type, q.Stem = examhall.QuestionMultiple, fmt.Sprintf("第%d题: 下列属于资产类科目的有?", i+1)
			q.Options, q.Correct = []string{"库存现金", "应收账款", "短期借款", "固定资产"}, []int{0, 1, 3}
		case 2:
			q.Type, q.Stem, q.IsTrue = examhall.QuestionTrueFalse, fmt.Sprintf("第%d题: 资产 = 负债 + 所有者权益。", i+1), true
		case 3:
			q.Type, q.Stem = examhall.QuestionFill, fmt.Sprintf("第%d题: 会计分录的记账方法是____记账法。", i+1)
			q.Blanks, q.Loose = [][]string{{"借贷", "复式借贷"}}, true
		}
		qs[i] = q
	}
	return qs
}

// answer answers q correctly with probability p.
func answer(q *examhall.Question, p float64, rnd *mrand.Rand) examhall.Answer {
	a := examhall.Answer{QuestionID: q.ID}
	right := rnd.Float64() < p
	switch q.Type {
	case examhall.QuestionSingle, examhall.QuestionMultiple:
		if right {
			a.Choices = q.Correct
		} else {
			a.Choices = []int{2}
		}
	case examhall.QuestionTrueFalse:
		v := q.IsTrue == right
		a.Bool = &v
	case examhall.QuestionFill:
		if right {
			a.Blanks = []string{q.Blanks[0][0]}
		} else {
			a.Blanks = []string{"单式"}
		}
	}
	return a
}

func (s *seeder) pastExams(ctx context.Context) error {
	exams := []struct {
		name      string
		pass      float64
		daysAgo   int
		audience  examhall.Audience
		share     float64 // of the candidates who sat it
		questions int
	}{
		{"会计基础考试A卷", 60, 20, examhall.AudienceAll, 1.0, 10},
		{"会计基础考试B卷", 80, 12, examhall.AudienceDepts, 0.5, 10},
		{"新员工入职培训考核", 70, 5, examhall.AudienceAll, 0.8, 5},
	}
	for _, x := range exams {
		begin := s.Now.Truncate(time.Hour).AddDate(0, 0, -x.daysAgo)
		e := &examhall.Exam{
			Name: x.name, BeginTime: begin, EndTime: begin.AddDate(0, 0, 3), AnswerMinutes: 60,
			PassScore: x.pass, AllowTimes: 2, IntegralRate: examhall.DefaultIntegralRate,
			Audience: x.audience, Status: examhall.ExamPublished, CreatedBy: s.admin.ID,
		}
		if x.audience == examhall.AudienceDepts {
			e.AudienceDeptIDs = s.deptIDs[:3]
		}
		if err := s.Exams.CreateExam(ctx, e); err != nil {
			return err
		}
		qs := paper(x.questions, 100/float64(x.questions))
		if err := s.Exams.SetPaper(ctx, e.ID, qs); err != nil {
			return err
		}
		for _, u := range s.candidates {
			if s.rnd.Float64() >= x.share || (x.audience == examhall.AudienceDepts && !inDepts(u, e.AudienceDeptIDs)) {
				continue
			}
			if err := s.sit(ctx, e, qs, u); err != nil {
				return err
			}
		}
	}
	return nil
}

func inDepts(u *examhall.User, ids []string) bool {
	for _, id := range ids {
		if u.DeptID == id {
			return true
		}
	}
	return false
}

// sit has u take e once at a random time in its window, with a skill drawn
// around 70 %, and submits after 15 to 58 minutes.
func (s *seeder) sit(ctx context.Context, e *examhall.Exam, qs []*examhall.Question, u *examhall.User) error {
	start := e.BeginTime.Add(time.Duration(s.rnd.Int64N(int64(e.EndTime.Sub(e.BeginTime) - 2*time.Hour))))
	a, err := s.Attempts.StartAttempt(ctx, e.ID, u.ID, start)
	if err != nil {
		return err
	}
	skill := math.Min(1, math.Max(0, s.rnd.NormFloat64()*0.18+0.7))
	answers := make([]examhall.Answer, len(qs))
	for i, q := range qs {
		answers[i] = answer(q, skill, s.rnd)
	}
	used := time.Duration(15*60+s.rnd.IntN(43*60)) * time.Second
	if _, err := s.Attempts.SaveAnswers(ctx, a.ID, answers, start.Add(used-time.Second)); err != nil {
		return err
	}
	_, err = s.Attempts.SubmitAttempt(ctx, a.ID, examhall.SubmitCandidate, start.Add(used))
	return err
}

// practiceExam is open now for every examinee, with every question type, so
// that a newcomer can sit an exam in the browser at once.
func (s *seeder) practiceExam(ctx context.Context) error {
	begin := s.Now.Truncate(time.Minute).Add(-10 * time.Minute)
	e := &examhall.Exam{
		Name: "在线练习: 五种题型 (Practice: every question type)", BeginTime: begin, EndTime: begin.AddDate(0, 0, 30),
		AnswerMinutes: 30, PassScore: 60, AllowTimes: 3, IntegralRate: examhall.DefaultIntegralRate,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished, CreatedBy: s.admin.ID,
	}
	if err := s.Exams.CreateExam(ctx, e); err != nil {
		return err
	}
	qs := paper(4, 20)
	qs = append(qs, &examhall.Question{ID: "q05", Type: examhall.QuestionShort, Score: 20,
		Stem: "简述借贷记账法的记账规则。(Describe the rule of double-entry bookkeeping.)", Reference: "有借必有贷, 借贷必相等。"})
	s.res.PracticeExamID = e.ID
	return s.Exams.SetPaper(ctx, e.ID, qs)
}

func (s *seeder) upcomingExam(ctx context.Context) error {
	begin := s.Now.Truncate(time.Hour).AddDate(0, 0, 1)
	e := &examhall.Exam{
		Name: "安全生产知识测验", BeginTime: begin, EndTime: begin.AddDate(0, 0, 7), AnswerMinutes: 30,
		PassScore: 80, AllowTimes: 3, IntegralRate: examhall.DefaultIntegralRate,
		ShuffleQuestions: true, ShuffleOptions: true, PartialCredit: true,
		Audience: examhall.AudienceAll, Status: examhall.ExamPublished, CreatedBy: s.admin.ID,
	}
	if err := s.Exams.CreateExam(ctx, e); err != nil {
		return err
	}
	qs := paper(4, 20)
	qs = append(qs, &examhall.Question{ID: "q05", Type: examhall.QuestionShort, Stem: "简述发生火灾时的疏散步骤。", Score: 20, Reference: "保持冷静, 按疏散指示有序撤离, 不乘电梯。"})
	return s.Exams.SetPaper(ctx, e.ID, qs)
}

func (s *seeder) app(ctx context.Context) error {
	app, secret, err := s.Apps.CreateApp(ctx, "demo integration")
	if err != nil {
		return err
	}
	s.res.AppID, s.res.AppSecret = app.ID, secret
	return nil
}
