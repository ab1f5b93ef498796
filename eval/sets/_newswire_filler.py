"""Template stories that give the newswire set its bulk and variety of topics.

Each template draws invented names and figures from a seeded `random.Random`. Every person is
drawn without replacement, and the thing a question anchors on (a person, a project, a company in
a town) is unique across the corpus, so each filler question has exactly one right passage.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

from eval.sets._newswire_model import Batch, Question, Story, count_words, money_millions, surname

T = TypeVar("T")

FIRST = ("Abel", "Adaeze", "Agnieszka", "Alvaro", "Anika", "Bram", "Callum", "Carys", "Cyrus",
          "Dalia", "Desmond", "Eamon", "Elif", "Esme", "Farid", "Fenna", "Gideon", "Greta", "Hamid",
          "Harriet", "Idris", "Ilse", "Jasper", "Joaquin", "Kamala", "Keziah", "Lars", "Leonie",
          "Lucan", "Maren", "Milo", "Nadine", "Niall", "Odette", "Orla", "Pascal", "Petra", "Quentin",
          "Rosalind", "Rufus", "Saoirse", "Silas", "Tamsin", "Tobias", "Ulla", "Vikram", "Wren",
          "Yusuf", "Zelda", "Zoran")
LAST = ("Abernathy", "Achterlee", "Bellweather", "Brackenridge", "Carrow", "Castwell", "Dunleavy",
         "Elphick", "Falconer", "Fennimore", "Garroway", "Gillespie", "Haldane", "Harrowgate",
         "Ingleby", "Jessamine", "Kettering", "Kilbride", "Larchmont", "Lockhart", "Mabry",
         "Merriweather", "Nettleton", "Norwood", "Oakhurst", "Ormsby", "Pendergast", "Quarrie",
         "Radcliffe", "Rowntree", "Saltmarsh", "Sedgwick", "Thackeray", "Tolland", "Umberfield",
         "Vantongeren", "Wakelin", "Westerby", "Yardley", "Zabriskie")
TOWNS = ("Calder Bay", "Ostrow", "Tarrow", "Vessey", "Quillan", "Brennick", "Fallow Creek",
          "Marrow Point", "Hartwell Springs", "Elsby", "Pellham Cross", "Winsloe")
STREETS = ("Alder", "Beacon", "Canal", "Dover", "Eastgate", "Foundry", "Granary", "Hollis",
            "Juniper", "Kingsmill", "Lantern", "Millrace", "Netherby", "Orchard", "Pilgrim", "Quarry",
            "Ropewalk", "Saltworks", "Tannery", "Weir")
TEAMS = {"Calder Bay Gulls": "Aileen Dunmore", "Ostrow Foundry": "Declan Mair",
         "Tarrow Kestrels": "Bettina Fairclough", "Vessey Lanterns": "Cormac Ellery",
         "Brennick Ironsides": "Priscilla Norland", "Quillan Harriers": "Tadeo Kwiatek",
         "Elsby Comets": "Marguerite Lafolle", "Winsloe Rovers": "Emmett Sandoval"}
GROUNDS = {"Calder Bay Gulls": "Pier Field", "Ostrow Foundry": "Smelter Park",
           "Tarrow Kestrels": "Kestrel Meadow", "Vessey Lanterns": "Ferry Road Stadium",
           "Brennick Ironsides": "Ironside Park", "Quillan Harriers": "Millpond Ground",
           "Elsby Comets": "Comet Field", "Winsloe Rovers": "Rover Lane"}
COMPANIES = {"Orrin Textiles": "Beatrix Lowther", "Kessler-Vane Robotics": "Anselm Okoro",
             "Bluefen Dairy": "Georgina Trask", "Ashmoor Pharmaceuticals": "Rahul Devereux",
             "Tallis Glassworks": "Imogen Strand", "Northcap Solar": "Felipe Arnaud",
             "Greywater Logistics": "Harlan Moss", "Pennock Tool & Die": "Wilhelmina Croft",
             "Sablewood Furniture": "Teodor Vance", "Hollin Biotech": "Noor Castellane",
             "Marlowe Paper Co.": "Ambrose Kettle", "Fennick Aerospace": "Juno Alvarado"}
# Institution -> the town in its dateline.
HOSPITALS = {"Ostrow Regional Hospital": "Ostrow", "Calder Bay General Hospital": "Calder Bay",
             "Quillan Community Health Center": "Quillan", "St. Aldric Medical Center": "Brennick",
             "Vessey Memorial Hospital": "Vessey"}
UNIVERSITIES = {"Tarrow University": "Tarrow", "Vessey State University": "Vessey",
                "Calder Bay College": "Calder Bay", "Ostrow Institute of Technology": "Ostrow"}
JOURNALS = ("Journal of Coastal Ecology", "Northern Review of Public Health",
            "Journal of Applied Field Biology", "Annals of Regional Medicine")
JUDGES = ("Miriam Oduya", "Leopold Grantham", "Celeste Ambrose", "Franklin Osterhout")
MUSEUMS = {"Ostrow Museum of Art": "Ostrow", "Calder Bay Maritime Museum": "Calder Bay",
           "Vessey Arts Center": "Vessey", "Quillan Gallery of Photography": "Quillan"}

# What people say in the filler stories; one is picked per story.
STUDY_QUOTES = ("We expected an effect, but not one this large.",
                 "It is a cheap change with a measurable payoff.",
                 "The pattern held in every year we looked at.")
WEATHER_QUOTES = ("This is the kind of day we plan for all year.",
                   "Stay off the roads if you can.",
                   "It should ease by tomorrow evening.")
BUSINESS_QUOTES = ("The workforce here sold us.",
                    "We looked at a dozen sites and kept coming back here.",
                    "Our customers are within a day of this building.")
CULTURE_QUOTES = ("People know one or two images. This is the whole life.",
                   "We hung it in the order the work was made.",
                   "Some of these have never left a family living room.")
TRANSIT_QUOTES = ("If the bus comes often, people stop checking the timetable.",
                   "This is the route riders asked for in every survey.",
                   "We are following the riders, not the map.")


def said(words: str) -> str:
    """A quote placed before "X said": the closing period becomes a comma, as in wire copy."""
    return f"“{words[:-1]},”" if words.endswith(".") else f"“{words}”"


class Draw:
    """The seeded source of every random choice, plus the pools drawn without replacement."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        people = [f"{first} {last}" for first in FIRST for last in LAST]
        rng.shuffle(people)
        self._people = people
        self._recent: list[str] = []  # surnames of the last few draws
        self._used: set[str] = set()

    def person(self) -> str:
        """A fresh name whose surname differs from the last few drawn, so "Saltmarsh said" is
        never ambiguous inside one story."""
        index = next(i for i, p in enumerate(self._people) if surname(p) not in self._recent)
        chosen = self._people.pop(index)
        self._recent = [*self._recent[-5:], surname(chosen)]
        return chosen

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(list(options))

    def unique(self, make: Callable[[], str]) -> str:
        """Call `make` until it yields a label not used before (a project, a route, a school)."""
        for _ in range(1000):
            label = make()
            if label not in self._used:
                self._used.add(label)
                return label
        raise RuntimeError("label pool exhausted; add more names to the pools")

    def date(self) -> dt.date:
        start = dt.date(2017, 1, 1)
        return start + dt.timedelta(days=self.rng.randrange((dt.date(2023, 12, 31) - start).days))

    def byline(self) -> str | None:
        return self.person() if self.rng.random() < 0.4 else None


def _story(d: Draw, key: str, topic: str, headline: str, city: str, paras: Sequence[str]) -> Story:
    return Story(key=key, topic=topic, headline=headline, date=d.date(), city=city,
                 paragraphs=tuple(paras), byline=d.byline(), dateline_style=d.rng.random() < 0.5)


def council(d: Draw, key: str) -> Batch:
    """City councils voting money for a named project; the project is the unique anchor."""
    town = d.pick(TOWNS)
    works = ("bridge repairs", "stormwater upgrade", "park renovation", "library annex", "fire station",
             "sidewalk program")
    project = d.unique(lambda: f"{d.pick(STREETS)} Street {d.pick(works)}")
    amount = money_millions(round(d.rng.uniform(0.8, 24.0), 1))
    seats = d.pick((7, 9))
    yes = d.rng.randint(seats // 2 + 1, seats)
    chair, critic = d.person(), d.person()
    quote = d.pick(("We have patched this for years, and the patches now cost more than the fix.",
                     "Residents have waited long enough, and the numbers finally work.",
                     "This is the least glamorous thing we will vote on all year, and the most needed."))
    headline = d.pick((f"{town} council approves {amount} for {project}",
                        f"{project} wins {yes}-{seats - yes} council vote in {town}",
                        f"{town} to spend {amount} on {project}"))
    paras = [
        (f"The {town} City Council voted {yes}-{seats - yes} to spend {amount} on the {project}, "
         f"ending {count_words(d.rng.randint(3, 18))} months of debate over the plan."),
        (f"Councillor {chair}, who chairs the public works committee, said the work was overdue. "
         f"{said(quote)} {surname(chair)} said."),
        (f"Councillor {critic} called the vote rushed and said staff had not finished reviewing "
         f"cheaper options. Work is expected to take about {d.rng.randint(10, 40)} weeks."),
    ]
    story = _story(d, key, "city", headline, town, paras)
    return Batch([story], [d.pick((
        Question("number", f"How much did the {town} City Council approve for the {project}?",
                  f"{amount}.", (amount,), (key,)),
        Question("single", f"Who chairs the {town} public works committee that backed the {project}?",
                  f"Councillor {chair}.", (chair,), (key,)),
    ))])


def match(d: Draw, key: str) -> Batch:
    """Regular-season games between recurring clubs; the scorer is the unique anchor."""
    home, away = d.rng.sample(sorted(TEAMS), 2)
    goals_for, goals_against = d.rng.randint(1, 4), d.rng.randint(0, 2)
    goals_for = max(goals_for, goals_against + 1)
    scorer = d.person()
    scored = d.pick([w for n, w in ((1, "once"), (2, "twice"), (3, "three times")) if n <= goals_for])
    crowd = f"{d.rng.randint(1800, 9500):,}"
    coach = TEAMS[home]
    quote = d.pick(("We defended like a team that wanted to go home with something.",
                     "The first half was poor. The second half was the team I know.",
                     "Nobody panicked, and that is new for us."))
    headline = f"{surname(scorer)} scores {scored} as {home} beat {away} {goals_for}-{goals_against}"
    paras = [
        (f"{scorer} scored {scored} as the {home} beat the {away} {goals_for}-{goals_against} in a "
         f"Coastal League match before a crowd of {crowd} at {GROUNDS[home]}."),
        (f"The win moved the {home} to {d.pick(('second', 'third', 'fourth', 'fifth'))} place in the "
         f"standings with {d.rng.randint(12, 40)} points."),
        (f"{said(quote)} {home} coach {coach} said. The {away} have now gone "
         f"{count_words(d.rng.randint(2, 6))} games without a win."),
    ]
    story = _story(d, key, "sports", headline, home.rsplit(" ", 1)[0], paras)
    return Batch([story], [d.pick((
        Question("single", f"How many times did {scorer} score against the {away}?",
                  f"{scorer} scored {scored}.", (scored,), (key,)),
        Question("number", f"How big was the crowd at the match in which {scorer} scored for the "
                  f"{home}?", f"{crowd}.", (crowd,), (key,)),
    ))])


STUDIES = (  # (subject, sample, finding): the finding is a full clause about the sample
    ("coastal wetlands", "soil cores from {n} sites",
      "wetland soils stored {p} percent more carbon than nearby farmland"),
    ("cycling commuters", "{n} office workers",
      "workers who cycled took {p} percent fewer sick days than those who drove"),
    ("honeybee colonies", "{n} hives", "hives near wildflower strips produced {p} percent more honey"),
    ("older adults", "{n} adults aged 65 and over",
      "those who walked daily scored {p} percent higher on memory tests"),
    ("street trees", "readings from {n} city blocks",
      "shaded blocks had {p} percent fewer hours above 90 degrees"),
    ("river trout", "{n} tagged fish", "trout below restored weirs survived {p} percent more often"),
    ("school lunches", "{n} pupils", "pupils ate {p} percent more vegetables when salad bars were added"),
    ("night-shift nurses", "{n} nurses", "nurses reported {p} percent fewer errors after shorter shifts"),
)


def study(d: Draw, key: str) -> Batch:
    """Research findings; the lead author is the anchor, the sample size the usual figure."""
    subject, sample, finding = d.pick(STUDIES)
    uni, author = d.pick(UNIVERSITIES), d.person()
    n, p = f"{d.rng.randint(40, 4800):,}", d.rng.randint(6, 61)
    sample_text, finding_text = sample.format(n=n), finding.format(p=p)
    headline = d.pick((f"{surname(author)} study at {uni} looks at {subject}",
                        f"{uni} researchers led by {author} publish findings on {subject}"))
    paras = [
        (f"A study of {subject} led by {author} of {uni}, based on {sample_text}, found that "
         f"{finding_text}."),
        (f"The results appear in the {d.pick(JOURNALS)}. {surname(author)} said the team spent "
         f"{count_words(d.rng.randint(2, 5))} years collecting data."),
        (f"{said(d.pick(STUDY_QUOTES))} "
         f"{surname(author)} said. Other researchers cautioned that the work covered one region only."),
    ]
    story = _story(d, key, "science", headline, UNIVERSITIES[uni], paras)
    return Batch([story], [d.pick((
        Question("number", f"What percentage did {author}'s study of {subject} report?",
                  f"{p} percent.", (f"{p} percent",), (key,)),
        Question("number", f"How large was the sample in {author}'s study of {subject}?",
                  f"{sample_text}.", (n,), (key,)),
    ))])


CRIMES = (("bookkeeper", "embezzlement", "stealing ${m:,} from a family-owned lumber yard"),
          ("contractor", "fraud", "taking ${m:,} in deposits for roofs that were never built"),
          ("charity treasurer", "theft", "draining ${m:,} from a youth sports charity"),
          ("car dealer", "odometer fraud", "rolling back odometers on {n} used cars"))


def court(d: Draw, key: str) -> Batch:
    """Sentencings; judges recur, so the defendant is the anchor."""
    role, short, long = d.pick(CRIMES)
    defendant, lawyer, prosecutor = d.person(), d.person(), d.person()
    town, judge = d.pick(TOWNS), d.pick(JUDGES)
    years = d.rng.randint(2, 12)
    restitution = f"${d.rng.randint(12, 900) * 1000:,}"
    crime = long.format(m=d.rng.randint(40, 2500) * 1000, n=d.rng.randint(20, 140))
    headline = f"Former {town} {role} sentenced to {count_words(years)} years for {short}"
    paras = [
        (f"{defendant}, a former {role} from {town}, was sentenced to {count_words(years)} years in "
         f"prison for {crime}."),
        f"Judge {judge} also ordered {surname(defendant)} to pay {restitution} in restitution.",
        (f"“This was not one bad decision. It was hundreds of them,” Assistant District Attorney "
         f"{prosecutor} said. Defense lawyer {lawyer} said an appeal was being considered."),
    ]
    story = _story(d, key, "courts", headline, town, paras)
    return Batch([story], [d.pick((
        Question("single", f"How long a prison sentence did {defendant} receive?",
                  f"{count_words(years)} years.", (f"{count_words(years)} years",), (key,)),
        Question("number", f"How much restitution was {defendant} ordered to pay?",
                  f"{restitution}.", (restitution,), (key,)),
    ))])


def weather(d: Draw, key: str) -> Batch:
    """Storms and heat; the quoted forecaster is the anchor."""
    town, forecaster = d.pick(TOWNS), d.person()
    kind = d.pick(("rain", "wind", "heat"))
    if kind == "rain":
        figure = f"{d.rng.randint(2, 7)}.{d.rng.randint(0, 9)} inches"
        headline = f"Downpour floods {town} streets with {figure} of rain"
        lead = f"{figure} of rain fell on {town} in less than {d.rng.randint(4, 12)} hours"
    elif kind == "wind":
        figure = f"{d.rng.randint(55, 95)} mph"
        headline = f"Gusts up to {figure} topple trees across {town}"
        lead = f"wind gusts reached {figure} in {town}, bringing down trees and power lines"
    else:
        figure = f"{d.rng.randint(96, 108)} degrees"
        headline = f"{town} opens cooling centers as temperatures hit {figure}"
        lead = f"the temperature in {town} reached {figure}, a record for the date"
    outages = f"{d.rng.randint(300, 19000):,}"
    paras = [
        f"Forecaster {forecaster} of the regional weather office said {lead}.",
        (f"About {outages} customers lost power at the peak, and the city urged residents to check "
         f"on elderly neighbors."),
        (f"{said(d.pick(WEATHER_QUOTES))} "
         f"{surname(forecaster)} said. Crews expected to finish cleanup within "
         f"{count_words(d.rng.randint(2, 6))} days."),
    ]
    asked = {"rain": "how much rain fell", "wind": "how strong were the wind gusts",
             "heat": "what temperature was reached"}[kind]
    story = _story(d, key, "weather", headline, town, paras)
    return Batch([story], [Question(
        "number", f"According to forecaster {forecaster}, {asked} in {town}?", f"{figure}.",
        (figure,), (key,))])


def business(d: Draw, key: str) -> Batch:
    """Expansions; the company-in-town pair is the anchor and the CEO recurs across stories."""
    company = d.pick(sorted(COMPANIES))
    town = d.unique(lambda: f"{company} in {d.pick(TOWNS)}").split(" in ", 1)[1]
    facility = d.pick(("distribution center", "factory", "research lab", "regional office"))
    jobs, invest = d.rng.randint(25, 600), money_millions(round(d.rng.uniform(2, 90), 1))
    headline = d.pick((f"{company} to add {jobs} jobs at new {town} {facility}",
                        f"{company} picks {town} for {invest} {facility}"))
    paras = [
        (f"{company} will open a {facility} in {town}, investing {invest} and adding {jobs} jobs "
         f"over {count_words(d.rng.randint(2, 5))} years, the company said."),
        (f"{said(d.pick(BUSINESS_QUOTES))} "
         f"Chief Executive {COMPANIES[company]} said."),
        (f"The town offered a property tax abatement worth {money_millions(round(d.rng.uniform(0.3, 4), 1))}"
         f" over ten years. Hiring begins next spring, and the company said it would recruit through "
         f"the local community college."),
    ]
    story = _story(d, key, "business", headline, town, paras)
    return Batch([story], [Question(
        "number", f"How many jobs will {company}'s new {town} {facility} add?", f"{jobs} jobs.",
        (str(jobs),), (key,))])


def health(d: Draw, key: str) -> Batch:
    """Clinics and hospital figures; a named director or program is the anchor."""
    director = d.person()
    specialties = ("pediatric asthma", "memory care", "sports injury", "diabetes", "sleep", "wound care")
    service = d.unique(lambda: f"{d.pick(specialties)} clinic at {d.pick(HOSPITALS)}")
    clinic, hospital = service.split(" at ")
    patients = f"{d.rng.randint(8, 60) * 100:,}"
    hours = d.pick(("7 a.m. to 7 p.m. on weekdays", "8 a.m. to 5 p.m. six days a week",
                     "around the clock"))
    paras = [
        (f"{hospital} opened a new {clinic}, which expects to see about {patients} patients in "
         f"its first year, director {director} said."),
        (f"The clinic is open {hours}. It was paid for partly by a "
         f"{money_millions(round(d.rng.uniform(0.5, 6), 1))} state grant."),
        (f"“Families used to drive two hours for this kind of care,” {surname(director)} said. "
         f"“Now it is down the road.”"),
    ]
    headline = f"{hospital} opens {clinic}"
    story = _story(d, key, "health", headline, HOSPITALS[hospital], paras)
    return Batch([story], [Question(
        "number", f"How many patients does the new {clinic} at {hospital} expect in its first year?",
        f"About {patients}.", (patients,), (key,))])


def culture(d: Draw, key: str) -> Batch:
    """Exhibitions; the artist is the anchor."""
    museum, artist, curator = d.pick(MUSEUMS), d.person(), d.person()
    medium = d.pick(("paintings", "photographs", "quilts", "ceramic pieces", "woodcuts"))
    works = d.rng.randint(20, 140)
    closes = d.pick(("January", "March", "May", "August", "October", "December"))
    paras = [
        (f"The {museum} has opened a retrospective of {works} {medium} by {artist}, the first "
         f"large survey of the artist's work."),
        (f"Curator {curator} said the pieces came from {count_words(d.rng.randint(3, 9))} private "
         f"collections. The show runs through {closes}."),
        (f"{said(d.pick(CULTURE_QUOTES))} "
         f"{surname(curator)} said. Admission is free on the first Sunday of each month."),
    ]
    headline = f"{museum} opens {artist} retrospective"
    story = _story(d, key, "culture", headline, MUSEUMS[museum], paras)
    return Batch([story], [Question(
        "number", f"How many works are in the {artist} retrospective?", f"{works} {medium}.",
        (f"{works} {medium}",), (key,))])


def transit(d: Draw, key: str) -> Batch:
    """New bus routes; route number plus town is the anchor."""
    town, director = d.pick(TOWNS), d.person()
    route = d.unique(lambda: f"Route {d.rng.randint(2, 99)} in {town}").split(" in ")[0]
    minutes, stops = d.pick((10, 12, 15, 20, 30)), count_words(d.rng.randint(6, 34))
    paras = [
        (f"{town} Transit will launch {route} next month, with buses every {minutes} minutes "
         f"between {d.pick(STREETS)} Street and the hospital district, serving {stops} stops."),
        (f"The route costs {money_millions(round(d.rng.uniform(0.4, 3), 1))} a year to run. Transit "
         f"director {director} said ridership on the old line had doubled in five years."),
        (f"{said(d.pick(TRANSIT_QUOTES))} "
         f"{surname(director)} said."),
    ]
    headline = f"{town} Transit adds {route} with buses every {minutes} minutes"
    story = _story(d, key, "transport", headline, town, paras)
    return Batch([story], [Question(
        "number", f"How many stops will {town} Transit's new {route} serve?", f"{stops} stops.",
        (f"{stops} stops",), (key,))])


def school(d: Draw, key: str) -> Batch:
    """School achievements; the school name is the anchor."""
    town, captain, teacher = d.pick(TOWNS), d.person(), d.person()
    name = d.unique(lambda: f"{d.pick(STREETS)} {d.pick(('Middle School', 'High School', 'Academy'))}")
    contest = d.pick(("state robotics championship", "regional science bowl", "state debate title"))
    teams = d.rng.randint(18, 70)
    paras = [
        f"Students from {name} in {town} won the {contest}, beating {teams} other teams.",
        (f"Team captain {captain} said the group practiced after school four days a week. “We "
         f"lost our first three rounds last year, so nobody took this for granted,” {surname(captain)} "
         f"said."),
        (f"Faculty adviser {teacher} said the school would use the "
         f"${d.rng.randint(2, 15) * 500:,} prize to buy equipment for next season."),
    ]
    headline = f"{name} students win {contest}"
    story = _story(d, key, "education", headline, town, paras)
    return Batch([story], [Question(
        "single", f"Who captained the {name} team that won the {contest}?", f"{captain}.",
        (captain,), (key,))])


def obituary(d: Draw, key: str) -> Batch:
    """Community obituaries; the person is the anchor."""
    town, person, child = d.pick(TOWNS), d.person(), d.person()
    shop = d.unique(lambda: f"{d.pick(STREETS)} {d.pick(('Bakery', 'Hardware', 'Diner', 'Bookshop', 'Tailors'))}")
    age, founded = d.rng.randint(71, 99), d.rng.randint(1955, 1990)
    paras = [
        f"{person}, who founded {shop} in {town} in {founded}, has died. {surname(person)} was {age}.",
        (f"Customers remembered {surname(person)} for opening early in storms and keeping a "
         f"running tab for anyone who asked."),
        (f"“The shop was the living room of the street,” said {child}, who runs the business now. "
         f"A memorial is planned at the shop next week."),
    ]
    headline = f"{person}, founder of {town}'s {shop}, dies at {age}"
    story = _story(d, key, "community", headline, town, paras)
    return Batch([story], [Question(
        "number", f"In what year did {person} found {shop}?", f"{founded}.", (str(founded),), (key,))])


def housing(d: Draw, key: str) -> Batch:
    """Planning approvals; the street site is the anchor."""
    town, developer = d.pick(TOWNS), d.person()
    site = d.unique(lambda: f"{d.pick(STREETS)} Street site in {town}").split(" site")[0]
    units = d.rng.randint(40, 320)
    affordable = max(4, units * d.rng.randint(10, 30) // 100)
    paras = [
        (f"The {town} Planning Board approved a {units}-unit apartment building on {site}, "
         f"including {affordable} units set aside for households earning below the area median."),
        (f"Developer {developer} said construction would take about {count_words(d.rng.randint(2, 3))} "
         f"years. Neighbors raised concerns about parking at a hearing that ran past midnight."),
        (f"“We heard the parking worries, and we added a level to the garage,” {surname(developer)} "
         f"said."),
    ]
    headline = f"Planners approve {units} apartments on {town}'s {site}"
    story = _story(d, key, "housing", headline, town, paras)
    return Batch([story], [Question(
        "number", f"How many affordable units are planned in the {units}-unit building on {town}'s "
        f"{site}?", f"{affordable} units.", (f"{affordable} units",), (key,))])


TEMPLATES: tuple[Callable[[Draw, str], Batch], ...] = (
    council, match, study, court, weather, business, health, culture, transit, school, obituary,
    housing,
)


def filler(d: Draw, count: int) -> Batch:
    """`count` template stories, cycling through the templates so every topic is represented."""
    batch = Batch()
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        batch.extend(template(d, f"{template.__name__}-{i:03d}"))
    return batch
