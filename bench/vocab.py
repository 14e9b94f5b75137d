"""Words and weights the benchmark generator draws from (bench/generate.py)."""

# ---------------------------------------------------------------------------

SEGMENTS = (("Enterprise", 15), ("Mid-market", 35), ("SMB", 40), ("Public sector", 10))
INDUSTRIES = ("Manufacturing", "Software", "Financial services", "Healthcare", "Retail",
              "Logistics", "Energy", "Education", "Telecommunications", "Media")
TIER_WEIGHTS = (("strategic", 5), ("key", 20), ("standard", 75))
# How much more of everything a tier's account has than a standard one.
TIER_SIZE = {"strategic": 4.0, "key": 2.0, "standard": 0.75}
STATUS_WEIGHTS = (("active", 80), ("prospect", 8), ("churned", 8), ("archived", 4))
NAME_A = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell",
          "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Massive", "Dunder", "Oscorp",
          "Aperture", "Gringotts", "Monarch", "Nakatomi", "Pied", "Sirius", "Virtucon")
NAME_B = ("Dynamics", "Systems", "Logistics", "Foods", "Health", "Energy", "Capital",
          "Labs", "Industries", "Networks", "Retail", "Media", "Mobility", "Works")
SUFFIX = ("Inc", "GmbH", "Ltd", "AG", "SA", "BV", "LLC", "plc")
FIRST = ("Anna", "Ben", "Carla", "David", "Eva", "Farid", "Grace", "Hugo", "Ines", "Jonas",
         "Kira", "Liam", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara",
         "Uma", "Victor", "Wen", "Yara", "Zoe")
LAST = ("Adler", "Brandt", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen",
        "Ito", "Jansen", "Kowalski", "Lopez", "Meyer", "Nowak", "Okafor", "Petrov",
        "Quintero", "Rossi", "Schmidt", "Tanaka", "Umarov", "Varga", "Weber", "Yilmaz")
TITLES = {
    "economic_buyer": ("CFO", "VP Finance", "COO", "Managing Director"),
    "decision_maker": ("VP Operations", "Head of IT", "Director of Procurement"),
    "champion": ("Operations Manager", "Team Lead", "Head of Customer Service"),
    "influencer": ("Senior Analyst", "Enterprise Architect", "Controller"),
    "technical_evaluator": ("IT Architect", "Security Officer", "Lead Engineer"),
    "user": ("Specialist", "Coordinator", "Analyst", "Agent"),
    "blocker": ("Legal Counsel", "Procurement Officer"),
    "other": ("Assistant", "Consultant"),
}
ROLE_WEIGHTS = (("champion", 12), ("influencer", 18), ("technical_evaluator", 12),
                ("user", 40), ("blocker", 4), ("other", 8), ("decision_maker", 6))
KEY_ROLES = ("economic_buyer", "decision_maker", "champion", "influencer")
SENTIMENT_WEIGHTS = (("advocate", 15), ("supporter", 30), ("neutral", 35), ("skeptic", 14),
                     ("detractor", 6))
DRIVERS = ("revenue_growth", "cost_reduction", "risk_reduction", "productivity",
           "customer_experience", "strategic")
# Per segment: the driver mix two years ago and how each share moves to today.
DRIVER_MIX = {
    "Enterprise": ((15, 30, 20, 15, 10, 10), (+5, -12, +4, -2, +2, +3)),
    "Mid-market": ((20, 25, 10, 25, 15, 5), (+6, -8, 0, -4, +5, +1)),
    "SMB": ((25, 20, 5, 30, 15, 5), (+3, -6, +1, 0, +4, -2)),
    "Public sector": ((5, 35, 30, 15, 10, 5), (0, -5, +8, -4, +1, 0)),
}
UNIT_WEIGHTS = (("currency", 70), ("hours", 15), ("count", 10), ("percent", 5))
ENTRY_TITLES = {
    "revenue_growth": ("Upsell campaign lift", "New channel launched", "Conversion uplift",
                       "Cross-sell bundle"),
    "cost_reduction": ("Invoice matching automated", "License consolidation",
                       "Fewer support escalations", "Freight cost renegotiated"),
    "risk_reduction": ("Audit findings closed", "Backup restore tested",
                       "Compliance report automated", "Vendor risk review"),
    "productivity": ("Onboarding time cut", "Manual reporting removed", "Faster month end",
                     "Self-service portal adopted"),
    "customer_experience": ("Response time halved", "NPS follow-up program",
                            "Portal redesign", "Proactive outage notices"),
    "strategic": ("Expansion to new region", "Executive sponsor program",
                  "Roadmap workshop", "Data platform foundation"),
}
SOURCES = ("QBR", "Usage analytics", "Customer email", "Case study", "Project report")
QUOTES = (
    "This saved my team a week every quarter.",
    "Numbers match what our controller sees.",
    "Honestly the best rollout we had this year.",
    "We did see the improvement, though smaller than stated.",
    "I would not have believed it without the report.",
    "Not sure this was your doing rather than our new process.",
    "The board noticed the difference.",
)
COMMITMENT_TITLES = ("Roll out to second site", "Automate quarterly report",
                     "Reduce ticket backlog", "Integrate with ERP", "Train regional teams",
                     "Launch analytics dashboard")
PRODUCTS = ("Platform", "Analytics", "Integrations", "Support Plus", "Training")
COMPETITORS = (
    ("Microsoft", "MSFT;Microsoft Corp", 0.42), ("Salesforce", "SFDC;salesforce.com", 0.45),
    ("Oracle", "ORCL", 0.55), ("SAP", "SAP SE", 0.5), ("HubSpot", None, 0.6),
    ("Zoho", None, 0.65), ("ServiceNow", "NOW", 0.48), ("Workday", None, 0.52),
    ("Freshworks", None, 0.62), ("Pipedrive", None, 0.7), ("Monday.com", "monday", 0.6),
    ("Atlassian", None, 0.5), ("In-house build", "internal;DIY", 0.58),
    ("Status quo", "do nothing", 0.4), ("Acumatica", None, 0.66),
)
FACTORS = (
    ("Commercial", "Price"), ("Commercial", "Budget"), ("Commercial", "Value delivered"),
    ("Product", "Product fit"), ("Product", "Features"), ("Product", "Ease of use"),
    ("Delivery", "Implementation"), ("Delivery", "Support"), ("Relationship", "Relationship"),
    ("Relationship", "Sales experience"), ("Company", "Brand"), ("Process", "Timing"),
    ("Process", "No decision-maker"),
)
QUOTE_TAGS = ("pricing", "onboarding", "support", "roadmap", "integration", "trust",
              "speed", "reporting")
INTERVIEW_STATUS = (("completed", 55), ("requested", 15), ("scheduled", 10),
                    ("declined", 10), ("no_response", 10))
INTENTS = ("definitely", "probably", "not_sure", "probably_not", "definitely_not")
