"""Hand-written near-miss families: the stories that make the newswire set hard.

Every family shares a subject across stories that differ in one detail (the year, the quarter,
the office holder, one letter of a name), so a retriever that matches on topic alone picks the
wrong passage. The questions name that detail. All people, places, firms and figures are invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from eval.sets._newswire_model import Batch, Question, Story, long_date

D = dt.date


def marathon() -> Batch:
    """The same race in four different years; one winner appears in two of them."""
    years = {
        2018: (D(2018, 4, 22), "Daniel Oyelaran", "2:12:38", "Helena Marsh", "2:29:51", "6,214",
               "Oyelaran and Marsh take Harbor Marathon titles in cool conditions",
               "in cool, overcast conditions", "Jonah Petrie"),
        2019: (D(2019, 4, 28), "Peter Ndambuki", "2:11:04", "Ingrid Vaalen", "2:27:16", "7,030",
               "Ndambuki wins Harbor Marathon into a stiff headwind",
               "despite a stiff headwind along the harbor wall", "Daniel Oyelaran"),
        2021: (D(2021, 10, 17), "Rafael Quintero", "2:09:47", "Helena Marsh", "2:26:02", "5,480",
               "Quintero breaks course record as Harbor Marathon returns in autumn",
               "a course record, in a race moved to October", "Peter Ndambuki"),
        2022: (D(2022, 4, 24), "Oskar Lindqvist", "2:10:55", "Amara Nwosu", "2:25:40", "7,912",
               "Lindqvist and Nwosu win the 2022 Harbor Marathon",
               "pulling clear over the final three miles", "Rafael Quintero"),
    }
    batch = Batch()
    for year, (day, man, mtime, woman, wtime, finishers, head, note, second) in years.items():
        batch.stories.append(Story(
            key=f"marathon-{year}", topic="sports", headline=head, date=day, city="Calder Bay",
            byline="Tess Albright" if year % 2 else None, dateline_style=year >= 2021,
            paragraphs=(
                (f"{man} won the {year} Harbor Marathon in {mtime}, {note}, with {second} second "
                 f"among {finishers} finishers."),
                f"In the women's race, {woman} crossed the line on the waterfront in {wtime}.",
                ("“The harbor gives you nowhere to hide when the wind turns,” race director Colm "
                 "Hardacre said. “Every runner who finished today earned it.”"),
                "The course loops twice around the old port before finishing at Pier Nine.",
            )))
    batch.questions += [
        Question("single", "Who won the men's race at the 2019 Harbor Marathon, and in what time?",
                  "Peter Ndambuki won the 2019 Harbor Marathon in 2:11:04.",
                  ("Peter Ndambuki", "2:11:04"), ("marathon-2019",)),
        Question("number", "What was the men's winning time at the 2021 Harbor Marathon?",
                  "Rafael Quintero won in 2:09:47, a course record.", ("2:09:47",), ("marathon-2021",)),
        Question("number", "How many runners finished the 2022 Harbor Marathon?",
                  "There were 7,912 finishers in 2022.", ("7,912",), ("marathon-2022",)),
        Question("single", "Who won the women's race at the 2019 Harbor Marathon?",
                  "Ingrid Vaalen won the 2019 women's race in 2:27:16.",
                  ("Ingrid Vaalen",), ("marathon-2019",)),
        Question("multi", "Helena Marsh won the Harbor Marathon women's race in 2018 and 2021. "
                  "What were her winning times?",
                  "She ran 2:29:51 in 2018 and 2:26:02 in 2021.", ("2:29:51", "2:26:02"),
                  ("marathon-2018", "marathon-2021")),
        Question("followup", "What was his winning time?",
                  "Oskar Lindqvist won the 2022 Harbor Marathon in 2:10:55.", ("2:10:55",),
                  ("marathon-2022",), history=("Who won the men's race at the 2022 Harbor Marathon?",)),
    ]
    return batch


def police_chiefs() -> Batch:
    """One office, three holders in three different years."""
    stories = [
        Story("chief-2017", "city", "Marguerite Osei named Calder Bay police chief", D(2017, 6, 12),
               "Calder Bay", (
                   ("Marguerite Osei, a 22-year veteran of the Calder Bay Police Department, was named "
                   "the city's police chief, replacing Walter Brandt, who retired in May."),
                   ("Mayor Felix Amundsen said Osei would earn $148,500 a year. “She knows every "
                   "street in this city and every officer on the roster,” Amundsen said."),
                   ("Osei, who most recently ran the department's investigations bureau, said her "
                   "first priority would be rebuilding the community liaison program."),
               ), byline="Ruth Calloway"),
        Story("chief-2020", "city", "Calder Bay picks Luis Arredondo as police chief after Osei retires",
               D(2020, 9, 3), "Calder Bay", (
                   ("Calder Bay has hired Luis Arredondo, a deputy chief in Ostrow for six years, as "
                   "its next police chief, succeeding Marguerite Osei, who is retiring."),
                   "Arredondo will be paid $161,000 a year and starts on Oct. 1, the city said.",
                   ("“I am walking into a department that already trusts its neighbors, and my job "
                   "is not to break that,” Arredondo told reporters at City Hall."),
                   "A hiring panel interviewed five finalists over two days in August.",
               ), dateline_style=True),
        Story("chief-2023", "city", "Petrakis named interim police chief as Arredondo departs",
               D(2023, 2, 27), "Calder Bay", (
                   ("Deputy Chief Nadia Petrakis will serve as Calder Bay's interim police chief after "
                   "Luis Arredondo leaves to run the state highway patrol academy, the city said."),
                   ("Petrakis has been with the department for 15 years. City Manager Owen Fairleigh "
                   "said a national search for a permanent chief would take about six months."),
                   "“Continuity matters more than anything right now,” Fairleigh said.",
               ), byline="Ruth Calloway"),
    ]
    questions = [
        Question("single", "Who was named Calder Bay's police chief in 2020?",
                  "Luis Arredondo, previously a deputy chief in Ostrow, was hired in 2020.",
                  ("Luis Arredondo",), ("chief-2020",)),
        Question("number", "What annual salary was Calder Bay's 2020 police chief hire given?",
                  "Luis Arredondo was to be paid $161,000 a year.", ("$161,000",), ("chief-2020",)),
        Question("single", "Who became Calder Bay's interim police chief in 2023?",
                  "Deputy Chief Nadia Petrakis.", ("Nadia Petrakis",), ("chief-2023",)),
        Question("followup", "How long had she served with the department at that point?",
                  "Marguerite Osei was a 22-year veteran of the department when named chief in 2017.",
                  ("22-year",), ("chief-2017",),
                  history=("Who was appointed Calder Bay police chief in 2017?",)),
    ]
    return Batch(stories, questions)


def vessey_mayors() -> Batch:
    """The same two candidates, two elections, opposite results."""
    stories = [
        Story("mayor-2018", "city", "Lusk unseats Abate in Vessey mayoral race", D(2018, 11, 7),
               "Vessey", (
                   ("Howard Lusk, a hardware store owner and first-time candidate, defeated Mayor "
                   "Corinne Abate on Tuesday, taking 53.4 percent of the vote in the 2018 election."),
                   "Turnout was 38 percent, the county elections office said.",
                   ("“People told me at the counter every day that the city had stopped listening,” "
                   "Lusk said at his campaign party. Abate conceded shortly before midnight."),
               ), dateline_style=True),
        Story("mayor-2022", "city", "Abate reclaims Vessey mayor's office four years after defeat",
               D(2022, 11, 9), "Vessey", (
                   ("Former mayor Corinne Abate won back her old job on Tuesday, beating Mayor Howard "
                   "Lusk with 58.1 percent of the vote in a rematch of the 2018 race."),
                   ("Turnout rose to 44 percent. Abate campaigned on reopening the Vessey ferry "
                   "terminal, which closed in 2020 for repairs."),
                   ("“We lost four years ago because we stopped knocking on doors,” Abate said. “This "
                   "time we knocked on every one of them.”"),
               ), byline="Martin Hale"),
    ]
    questions = [
        Question("number", "What share of the vote did Howard Lusk win in the 2018 Vessey mayoral election?",
                  "53.4 percent.", ("53.4 percent",), ("mayor-2018",)),
        Question("number", "What was voter turnout in Vessey's 2022 mayoral election?",
                  "44 percent.", ("44 percent",), ("mayor-2022",)),
        Question("multi", "What share of the vote did the winners of the 2018 and 2022 Vessey mayoral "
                  "elections receive?",
                  "Howard Lusk won 53.4 percent in 2018; Corinne Abate won 58.1 percent in 2022.",
                  ("53.4 percent", "58.1 percent"), ("mayor-2018", "mayor-2022")),
    ]
    return Batch(stories, questions)


def _corvane(key: str, quarter: str, day: D, revenue: str, staff: str, extra: str,
             head: str) -> Story:
    """One Corvane results story; the quarters differ only in their figures."""
    return Story(key, "business", head, day, "Ostrow", (
        (f"Corvane Systems reported revenue of {revenue} for the {quarter}, the Ostrow-based maker "
         f"of warehouse control software said on {long_date(day)}."),
        f"The company ended the quarter with {staff} employees. {extra}",
        ("“Customers are still buying, but they are taking longer to sign,” Chief Executive Priya "
         "Venkataraman told analysts on a conference call."),
        ("Chief Financial Officer Gareth Olsen said the company expected steady orders from grocery "
         "distributors through the rest of the year."),
    ), byline="Alan Prescott" if "third" in quarter else None)


def corvane() -> Batch:
    """One company, four quarters, plus a second outlet's rewrite of the weakest quarter."""
    q3_extra = "Corvane also said it would cut 140 jobs, mostly in sales."
    stories = [
        _corvane("corvane-q1-2022", "first quarter of 2022", D(2022, 4, 28), "$412.6 million",
                  "3,150", "Revenue rose 9 percent from a year earlier.",
                  "Corvane Systems first-quarter revenue climbs to $412.6 million"),
        _corvane("corvane-q2-2022", "second quarter of 2022", D(2022, 7, 27), "$438.1 million",
                  "3,320", "Revenue rose 11 percent from a year earlier.",
                  "Corvane Systems posts record second-quarter sales"),
        _corvane("corvane-q3-2022", "third quarter of 2022", D(2022, 10, 26), "$401.9 million",
                  "3,180", q3_extra, "Corvane Systems revenue slips, company to cut 140 jobs"),
        _corvane("corvane-q1-2023", "first quarter of 2023", D(2023, 4, 26), "$455.3 million",
                  "3,090", "Revenue rose 10 percent from a year earlier.",
                  "Corvane Systems starts 2023 with $455.3 million quarter"),
        Story("corvane-q3-2022-rewrite", "business", "Ostrow software firm Corvane to shed 140 jobs",
               D(2022, 10, 27), "Ostrow", (
                   ("Ostrow's Corvane Systems will eliminate 140 jobs, most of them in sales, after "
                   "revenue for the third quarter of 2022 fell to $401.9 million."),
                   "The warehouse software company had 3,180 workers at the end of September.",
                   ("Chief Executive Priya Venkataraman said customers were “taking longer to sign” "
                   "new contracts, echoing remarks she made on a call with analysts."),
               ), dateline_style=True, outlet="Eastline News"),
    ]
    questions = [
        Question("number", "What revenue did Corvane Systems report for the third quarter of 2022?",
                  "$401.9 million.", ("$401.9 million",),
                  ("corvane-q3-2022", "corvane-q3-2022-rewrite")),
        Question("number", "How much revenue did Corvane Systems report for the first quarter of 2023?",
                  "$455.3 million.", ("$455.3 million",), ("corvane-q1-2023",)),
        Question("multi", "How did Corvane Systems' first-quarter revenue change from 2022 to 2023?",
                  "It rose from $412.6 million in the first quarter of 2022 to $455.3 million in "
                  "the first quarter of 2023.", ("$412.6 million", "$455.3 million"),
                  ("corvane-q1-2022", "corvane-q1-2023")),
        Question("number", "How many jobs did Corvane Systems say it would cut when it reported its "
                  "third-quarter 2022 results?", "140 jobs, mostly in sales.", ("140",),
                  ("corvane-q3-2022", "corvane-q3-2022-rewrite")),
        Question("followup", "How many employees did the company have at the end of that quarter?",
                  "Corvane Systems had 3,320 employees at the end of the second quarter of 2022.",
                  ("3,320",), ("corvane-q2-2022",),
                  history=("What revenue did Corvane Systems report for the second quarter of 2022?",)),
    ]
    return Batch(stories, questions)


def similar_names() -> Batch:
    """Names one or two letters apart: two Danas, two judges, two food companies."""
    stories = [
        Story("whitlock", "city", "Ostrow council passes Whitlock's protected bike lane ordinance",
               D(2022, 5, 10), "Ostrow", (
                   ("The Ostrow City Council voted 6-3 to approve an ordinance sponsored by Councillor "
                   "Dana Whitlock that will add 4.8 miles of protected bike lanes downtown."),
                   "“Paint is not protection,” Whitlock said before the vote. “Concrete is.”",
                   ("Business owners on Canal Street had asked for a delay until loading zones were "
                   "redrawn. The first lanes are due to open next spring."),
               ), byline="Grace Ilunga"),
        Story("whitcomb", "science", "Kelp forests off Tarrow shrank sharply, Whitcomb survey finds",
               D(2022, 6, 2), "Tarrow", (
                   ("Kelp cover at 14 survey sites off the Tarrow coast has declined 38 percent since "
                   "2012, according to a study led by Dana Whitcomb, a marine ecologist at Tarrow "
                   "University."),
                   "Whitcomb's team compared diver counts with aerial photographs taken every summer.",
                   ("“The losses are worst where the water warmed fastest,” Whitcomb said. The study "
                   "appears in the Journal of Coastal Ecology."),
               ), dateline_style=True),
        Story("penhale", "courts", "Credit union manager gets seven years for embezzlement",
               D(2019, 3, 14), "Ostrow", (
                   ("Judge Arthur Penhale of the Ostrow County Superior Court sentenced Gregory "
                   "Tolliver, a former branch manager at Harbor Mutual Credit Union, to seven years "
                   "in prison for embezzling $2.3 million."),
                   "Prosecutors said Tolliver moved money from dormant accounts over nine years.",
                   ("“Every dollar belonged to someone who trusted this institution,” Penhale said "
                   "from the bench."),
               )),
        Story("penhallow", "courts", "Insurance fraud earns Brennick woman 18 months",
               D(2021, 8, 19), "Brennick", (
                   ("Judge Arthur Penhallow sentenced Renata Vos, 44, to 18 months in prison on "
                   "Thursday for filing false flood-damage claims on two rental homes."),
                   "Penhallow also ordered Vos to repay $84,000 to the insurer.",
                   ("“She took advantage of a disaster that hurt her real neighbors,” Assistant "
                   "District Attorney Colette Ruiz said after the hearing."),
               ), byline="Ivan Desrosiers", dateline_style=True),
        Story("brightwell", "business", "Brightwell Foods to close Ostrow plant, cutting 240 jobs",
               D(2021, 3, 15), "Ostrow", (
                   ("Brightwell Foods will close its Ostrow canning plant in June, eliminating 240 "
                   "jobs, the company said."),
                   ("The plant opened in 1987 and once employed more than 600 people. The company "
                   "said it would move production to newer lines in two other states."),
                   ("“These are families who have given this company three generations,” said Marta "
                   "Kolar, the union steward at the plant."),
               ), dateline_style=True),
        Story("brightwater", "business", "Brightwater Foods picks Tarrow for new plant",
               D(2021, 8, 2), "Tarrow", (
                   ("Brightwater Foods will build a frozen-vegetable plant in Tarrow's eastern "
                   "industrial park, investing $36 million and hiring 180 workers."),
                   ("The company chose Tarrow over two other sites because of its rail spur, Chief "
                   "Operating Officer Lionel Achebe-Grant said."),
                   ("“We need trains at the door, and Tarrow already has them,” he said. Construction "
                   "begins this fall."),
               ), byline="Alan Prescott"),
    ]
    questions = [
        Question("single", "By what vote did Councillor Dana Whitlock's bike lane ordinance pass?",
                  "It passed 6-3.", ("6-3",), ("whitlock",)),
        Question("number", "By how much did kelp cover decline in marine ecologist Dana Whitcomb's "
                  "survey?", "38 percent since 2012, across 14 sites.", ("38 percent",), ("whitcomb",)),
        Question("single", "What sentence did Judge Arthur Penhale hand down in the credit union "
                  "embezzlement case?", "Gregory Tolliver was sentenced to seven years in prison.",
                  ("seven years",), ("penhale",)),
        Question("number", "How much restitution did Judge Arthur Penhallow order in the flood "
                  "insurance fraud case?", "$84,000.", ("$84,000",), ("penhallow",)),
        Question("number", "How many jobs were lost when Brightwell Foods closed its Ostrow plant?",
                  "240 jobs.", ("240",), ("brightwell",)),
        Question("number", "How much is Brightwater Foods investing in its Tarrow plant?",
                  "$36 million.", ("$36 million",), ("brightwater",)),
    ]
    return Batch(stories, questions)


def warehouse_fire() -> Batch:
    """One event written up three times: the copies should collapse into one answer."""
    original = (
        ("A fire at a Halvorsen Freight warehouse in Brennick burned for nine hours overnight and "
         "caused damage estimated at $12 million, fire officials said on Wednesday."),
        ("About 85 firefighters from four departments fought the blaze. Two firefighters were "
         "treated for smoke inhalation."),
        "“The roof was gone before the first engine arrived,” Brennick Fire Chief Owen Talley said.",
        "Halvorsen Freight said no employees were inside when the fire started.",
    )
    rewrite = (
        ("Damage from an overnight blaze at Halvorsen Freight's Brennick warehouse could reach $12 "
         "million, Brennick Fire Chief Owen Talley said."),
        ("Crews from four departments, about 85 firefighters in all, spent nine hours on the fire. "
         "Two were treated for smoke inhalation."),
        ("Talley said the roof had already collapsed when the first engine arrived. The warehouse "
         "was empty at the time, the company said."),
    )
    day = D(2022, 3, 9)
    stories = [
        Story("fire-wire", "local", "Nine-hour fire guts Halvorsen Freight warehouse in Brennick", day,
               "Brennick", original, byline="Sofia Lindgren", outlet="Harbor Wire"),
        Story("fire-copy", "local", "Brennick warehouse fire causes $12 million in damage", day,
               "Brennick", original[:3], dateline_style=True, outlet="Harbor Wire"),
        Story("fire-rewrite", "local", "Blaze at Halvorsen Freight site leaves $12 million damage",
               D(2022, 3, 10), "Brennick", rewrite, outlet="Eastline News"),
    ]
    copies = ("fire-wire", "fire-copy", "fire-rewrite")
    questions = [
        Question("number", "How many firefighters fought the Halvorsen Freight warehouse fire in "
                  "Brennick?", "About 85 firefighters from four departments.", ("85",), copies),
        Question("number", "What was the estimated damage from the Halvorsen Freight warehouse fire?",
                  "About $12 million.", ("$12 million",), copies),
    ]
    return Batch(stories, questions)


def rewrites() -> Batch:
    """Two more stories each carried by two outlets in different words."""
    stories = [
        Story("tuition-a", "education", "Tarrow University freezes tuition for a second year",
               D(2023, 3, 20), "Tarrow", (
                   ("Tarrow University's trustees voted 9-2 to hold in-state tuition at $11,480 for "
                   "the 2023-24 academic year, the second straight freeze."),
                   ("President Miriam Castellanos said the university would cover the gap with "
                   "savings from energy upgrades and a hiring pause in administration."),
                   "“A degree should not cost more every single spring,” Castellanos said.",
               ), byline="Hannah Okafor", outlet="Harbor Wire"),
        Story("tuition-b", "education", "Trustees keep Tarrow tuition flat at $11,480",
               D(2023, 3, 21), "Tarrow", (
                   ("In-state students at Tarrow University will again pay $11,480 in tuition next "
                   "year after trustees approved a freeze by a 9-2 vote."),
                   ("It is the second year running that tuition has not risen. President Miriam "
                   "Castellanos credited energy savings and fewer administrative hires."),
                   "Student government leaders, who had lobbied for the freeze, called it a relief.",
               ), dateline_style=True, outlet="Tri-County Post"),
        Story("bond-a", "city", "Vessey voters approve $18.5 million library bond", D(2019, 11, 6),
               "Vessey", (
                   ("Vessey voters approved an $18.5 million bond to rebuild the main public library, "
                   "with 61 percent voting yes, according to unofficial results."),
                   ("The 1962 building has been closed to the public on its upper floor since a roof "
                   "leak in 2017."),
                   ("“This is a vote for kids who need somewhere warm to read after school,” library "
                   "director Agnes Pomeroy said."),
               ), outlet="Harbor Wire"),
        Story("bond-b", "city", "Library rebuild wins easy approval in Vessey", D(2019, 11, 6),
               "Vessey", (
                   ("A bond measure to rebuild Vessey's main library passed with 61 percent support. "
                   "The measure lets the city borrow $18.5 million."),
                   ("Library director Agnes Pomeroy thanked voters and said design work would start "
                   "early next year, with the upper floor, shut since 2017, reopened first."),
                   "A similar measure failed by a narrow margin six years earlier.",
               ), byline="Martin Hale", dateline_style=True, outlet="Vessey Ledger"),
    ]
    questions = [
        Question("number", "At what level did Tarrow University freeze in-state tuition for 2023-24?",
                  "$11,480.", ("$11,480",), ("tuition-a", "tuition-b")),
        Question("number", "What share of Vessey voters approved the library bond?",
                  "61 percent.", ("61 percent",), ("bond-a", "bond-b")),
    ]
    return Batch(stories, questions)


def recurring_events() -> Batch:
    """Prizes, festivals, storms and finals that recur with new figures each time."""
    stories = [
        Story("prize-2020", "culture", "Odile Brannock wins Vessey Book Prize for debut novel",
               D(2020, 10, 14), "Vessey", (
                   ("Odile Brannock has won the 2020 Vessey Book Prize for “The Salt Ledger,” a novel "
                   "about a family of oyster farmers. The prize is worth $25,000."),
                   ("Jury chair Simone Achterberg called the book “patient, funny and unafraid of the "
                   "sea.” Brannock, a former court stenographer, wrote it over six winters."),
                   "Five books were shortlisted from 212 entries.",
               ), byline="Lena Marchbank"),
        Story("prize-2022", "culture", "Theo Marchetti takes Vessey Book Prize", D(2022, 10, 12),
               "Vessey", (
                   ("Theo Marchetti has won the 2022 Vessey Book Prize, now worth $30,000, for his "
                   "novel “Small Hours in Quillan.”"),
                   ("The book follows a night-shift baker through a single week. Marchetti said he "
                   "drafted most of it on his phone during bus rides to work."),
                   "“I never expected a book about bread to travel this far,” he said at the ceremony.",
               ), dateline_style=True),
        Story("lantern-2021", "culture", "Quillan Lantern Festival draws 41,000 on its return",
               D(2021, 9, 20), "Quillan", (
                   ("The Quillan Lantern Festival drew 41,000 visitors over three nights, organizers "
                   "said, with 1,200 paper lanterns floated on the millpond."),
                   ("Organizer Ines Barrow said volunteers had built the lanterns in church halls "
                   "since June. “We ran out of glue twice,” she said."),
                   "Shuttle buses ran from the Quillan rail station until midnight each night.",
               )),
        Story("lantern-2023", "culture", "Record crowds at 2023 Quillan Lantern Festival",
               D(2023, 9, 18), "Quillan", (
                   ("A record 56,500 people attended the 2023 Quillan Lantern Festival, organizer Ines "
                   "Barrow said, as the event added a fourth night for the first time."),
                   ("Volunteers floated 1,650 lanterns. The town hired extra shuttle drivers after "
                   "complaints about long waits at the rail station."),
                   "“We are running out of pond,” Barrow said.",
               ), byline="Lena Marchbank", dateline_style=True),
        Story("snow-2021", "weather", "Snowstorm buries Calder Bay under 14 inches", D(2021, 1, 28),
               "Calder Bay", (
                   ("A snowstorm dropped 14 inches on Calder Bay, leaving 23,000 customers without "
                   "power at the peak, according to Calder Bay Power & Light."),
                   ("Schools closed for two days. Public works director Hal Brennan said plows worked "
                   "around the clock. “We are clearing the hills first,” he said."),
                   "Crews restored most service within 36 hours.",
               ), dateline_style=True),
        Story("snow-2022", "weather", "Valentine's Day storm brings 9.5 inches of snow to Calder Bay",
               D(2022, 2, 14), "Calder Bay", (
                   ("Calder Bay recorded 9.5 inches of snow in a storm that knocked out power to 8,400 "
                   "customers, Calder Bay Power & Light said."),
                   ("Public works director Hal Brennan said the city had pretreated main roads with "
                   "brine. “It made a real difference on the bridges,” he said."),
                   "Most schools opened two hours late the next morning.",
               ), byline="Nora Pike"),
        Story("final-2021", "sports", "Gulls win Coastal League final over Ostrow Foundry",
               D(2021, 6, 27), "Calder Bay", (
                   ("The Calder Bay Gulls beat Ostrow Foundry 3-1 in the 2021 Coastal League final "
                   "before a crowd of 6,800 at Pier Field."),
                   ("Striker Mateo Villanueva scored twice. Gulls coach Aileen Dunmore said her team "
                   "“played the whole match like it was the last ten minutes.”"),
                   "It is the club's first league title since 2009.",
               ), byline="Tess Albright"),
        Story("final-2022", "sports", "Foundry shut out Kestrels to lift Coastal League trophy",
               D(2022, 6, 26), "Ostrow", (
                   ("Ostrow Foundry beat the Tarrow Kestrels 2-0 in the 2022 Coastal League final, a "
                   "year after losing the title match to Calder Bay."),
                   ("Goalkeeper Ruben Saltonstall made seven saves. “We learned more from last year's "
                   "loss than from any win,” Foundry coach Declan Mair said."),
                   "Both goals came in the second half.",
               ), dateline_style=True),
        Story("super-2019", "education", "Tarrow schools hire Benedict Ames as superintendent",
               D(2019, 7, 1), "Tarrow", (
                   ("The Tarrow School Board voted unanimously to hire Benedict Ames as superintendent "
                   "on a three-year contract paying $172,000 a year."),
                   ("Ames led a smaller district in Elsby for five years and began his career as a "
                   "fourth-grade teacher."),
                   "“Reading by third grade is the whole ballgame,” Ames told the board.",
               ), byline="Hannah Okafor"),
        Story("super-2022", "education", "Lorraine Quist to lead Tarrow School District",
               D(2022, 6, 15), "Tarrow", (
                   ("Lorraine Quist, principal of Tarrow North High School for eight years, was named "
                   "superintendent of the Tarrow School District after Benedict Ames left for a "
                   "state education post."),
                   ("The board approved her contract 5-2. Quist said she would focus on teacher "
                   "retention. “We cannot keep training teachers for other districts,” she said."),
               ), dateline_style=True),
    ]
    questions = [
        Question("single", "Which novel won the 2020 Vessey Book Prize?",
                  "“The Salt Ledger” by Odile Brannock.", ("The Salt Ledger",), ("prize-2020",)),
        Question("number", "How much was the 2022 Vessey Book Prize worth?", "$30,000.",
                  ("$30,000",), ("prize-2022",)),
        Question("followup", "What is the title of his winning novel?",
                  "Theo Marchetti won with “Small Hours in Quillan.”", ("Small Hours in Quillan",),
                  ("prize-2022",), history=("Who won the 2022 Vessey Book Prize?",)),
        Question("number", "How many people attended the 2023 Quillan Lantern Festival?",
                  "A record 56,500.", ("56,500",), ("lantern-2023",)),
        Question("multi", "How many lanterns were floated at the Quillan Lantern Festival in 2021 and "
                  "in 2023?", "1,200 in 2021 and 1,650 in 2023.", ("1,200", "1,650"),
                  ("lantern-2021", "lantern-2023")),
        Question("number", "How many customers lost power in Calder Bay's February 2022 snowstorm?",
                  "8,400 customers.", ("8,400",), ("snow-2022",)),
        Question("multi", "How much snow fell in Calder Bay in the January 2021 storm and in the "
                  "February 2022 storm?", "14 inches in January 2021 and 9.5 inches in February 2022.",
                  ("14 inches", "9.5 inches"), ("snow-2021", "snow-2022")),
        Question("single", "What was the score of the 2022 Coastal League final?",
                  "Ostrow Foundry beat the Tarrow Kestrels 2-0.", ("2-0",), ("final-2022",)),
        Question("single", "Who scored twice for Calder Bay in the 2021 Coastal League final?",
                  "Striker Mateo Villanueva.", ("Mateo Villanueva",), ("final-2021",)),
        Question("single", "Who was named Tarrow schools superintendent in 2022?",
                  "Lorraine Quist, principal of Tarrow North High School.", ("Lorraine Quist",),
                  ("super-2022",)),
        Question("number", "What salary did Benedict Ames's contract as Tarrow superintendent pay?",
                  "$172,000 a year.", ("$172,000",), ("super-2019",)),
    ]
    return Batch(stories, questions)


def unanswerable() -> list[Question]:
    """Questions one detail away from a planted story. key_facts hold that detail, which must
    appear nowhere in the corpus (the test checks), so a system that answers is making it up."""
    def q(question: str, reference: str, absent: str) -> Question:
        return Question("unanswerable", question, reference, (absent,))

    return [
        q("Who won the 2020 Harbor Marathon?",
           "The articles cover the 2018, 2019, 2021 and 2022 races, not a 2020 Harbor Marathon.",
           "2020 Harbor Marathon"),
        q("Who won the 2017 Harbor Marathon?",
           "The articles do not report a 2017 Harbor Marathon; the earliest race covered is 2018.",
           "2017 Harbor Marathon"),
        q("How many spectators watched the 2021 Harbor Marathon?",
           "The articles give the number of finishers, not the number of spectators.", "spectators"),
        q("What revenue did Corvane Systems report for the fourth quarter of 2022?",
           "The articles cover Corvane's first, second and third quarters of 2022 and the first "
           "quarter of 2023, not the fourth quarter of 2022.", "fourth quarter"),
        q("Who won the 2021 Vessey Book Prize?",
           "Only the 2020 and 2022 Vessey Book Prizes are reported.", "2021 Vessey Book Prize"),
        q("How many people attended the 2022 Quillan Lantern Festival?",
           "Attendance is reported for 2021 and 2023 only.", "2022 Quillan Lantern Festival"),
        q("What did Councillor Dana Whitford say about the bike lane ordinance?",
           "No Dana Whitford appears in the articles (the sponsor was Councillor Dana Whitlock).",
           "Whitford"),
        q("What sentence did Judge Arthur Penhurst impose in the embezzlement case?",
           "No Judge Arthur Penhurst appears in the articles.", "Penhurst"),
        q("What was the score of the 2020 Coastal League final?",
           "Only the 2021 and 2022 Coastal League finals are reported.", "2020 Coastal League final"),
        q("Who won the 2026 Vessey mayoral election?",
           "The articles cover the 2018 and 2022 Vessey mayoral elections only.", "2026"),
        q("Who replaced Nadia Petrakis as Calder Bay police chief in 2024?",
           "The articles end with Petrakis named interim chief in 2023; nothing from 2024 is "
           "reported.", "2024"),
    ]


FAMILIES: tuple[Callable[[], Batch], ...] = (
    marathon, police_chiefs, vessey_mayors, corvane, similar_names, warehouse_fire, rewrites,
    recurring_events,
)


def all_families() -> Batch:
    batch = Batch()
    for build in FAMILIES:
        batch.extend(build())
    batch.questions += unanswerable()
    return batch
