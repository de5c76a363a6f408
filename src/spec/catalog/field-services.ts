// Field-services use cases of the brief that label text: work orders, offline diagnostics, technician assistance.

import { defineAnswerTemplate } from "./answer-template.js";
import { defineLabeledTemplate } from "./labeled-generator.js";
import { digits, pick, type SlotFiller } from "./text-variation.js";

const siteSlots: Readonly<Record<string, SlotFiller>> = {
  site: (random) =>
    pick(random, [
      "unit 4B",
      "the 3rd floor",
      "building C",
      "suite 210",
      "the kitchen",
      "the lobby",
      "the server room",
      "the warehouse",
      "apartment 12",
      "the basement",
    ]),
  customer: (random) =>
    pick(random, ["tenant", "customer", "store manager", "homeowner", "facility manager", "front desk"]),
  when: (random) =>
    pick(random, [
      "since this morning",
      "since yesterday",
      "for 2 days",
      "on and off all week",
      "after the storm",
      "after the power cut",
    ]),
  temperature: (random) => `${pick(random, ["85", "88", "90", "58", "55", "30", "31"])}°F`,
  errorCode: (random) =>
    pick(random, [
      () => `E${digits(random, 2)}`,
      () => `F${1 + random.int(9)}`,
      () => `code ${digits(random, 3)}`,
      () => `fault ${digits(random, 2)}`,
    ])(),
  brand: (random) => pick(random, ["Carrier", "Trane", "Lennox", "Daikin", "Rheem", "Goodman", "York"]),
  model: (random) =>
    `${pick(random, ["XR", "TUH", "ML", "DX", "RA"])}${digits(random, 2)}-${digits(random, 3)}`,
  ticket: (random) => `WO ${digits(random, 6)}`,
  psi: (random) => `${50 + random.int(100)} psi`,
  volts: (random) => pick(random, ["0V", "110V", "208V", "24V", "12V"]),
};

/** Work order classification: incoming service requests routed to the right trade. */
export const workOrdersTemplate = defineLabeledTemplate({
  id: "field-work-orders",
  summary:
    "Route incoming service requests to 8 trades (HVAC, plumbing, electrical, appliances, doors, IT, ...).",
  spec: {
    title: "Work order classification: service requests to trades",
    industry: "field-services",
    task: "classify",
    targets: { accuracy: 0.95, p95LatencyMs: 100, costPer1kRequestsUsd: 0.02 },
    deployment: "cloud",
    routing: { targetAccuracy: 0.97, fallback: "llm", shadowRate: 0 },
  },
  openers: ["Hi,", "Request:", "Urgent:", "{ticket}:", "From {customer}:", "Hello,"],
  closers: [
    "Please send someone.",
    "Thanks.",
    "Access code at front desk.",
    "Call on arrival.",
    "asap please",
    "{ticket}",
  ],
  slots: siteSlots,
  intents: [
    {
      name: "hvac",
      description: "Heating, cooling and ventilation: AC, furnaces, heat pumps, thermostats, air handlers.",
      related: ["electrical"],
      templates: [
        "AC not cooling in {site}, it's {temperature} inside",
        "no heat in {site} {when}",
        "furnace [making noise|won't ignite|short cycling]",
        "thermostat [blank|not responding] in {site}",
        "air handler [leaking water|iced up]",
        "heat pump blowing cold air",
        "rooftop unit down, {site} too hot",
        "vents blowing [warm|no] air",
      ],
      foreign: ["El aire acondicionado no enfría en {site}."],
    },
    {
      name: "plumbing",
      description: "Water supply, drains, leaks, toilets, water heaters.",
      related: ["appliance"],
      templates: [
        "water leaking under the sink in {site}",
        "toilet [clogged|running|overflowing] in {site}",
        "no hot water {when}",
        "drain [backed up|slow] in {site}",
        "burst pipe in {site}, water everywhere",
        "water heater leaking",
        "low water pressure in {site}",
        "dripping faucet in the [restroom|kitchen]",
      ],
      foreign: ["Hay una fuga de agua en {site}."],
    },
    {
      name: "electrical",
      description: "Power, outlets, breakers, lighting and wiring.",
      related: ["hvac", "it_network"],
      templates: [
        "no power to outlets in {site}",
        "breaker keeps tripping {when}",
        "lights flickering in {site}",
        "[burning smell|sparks] from an outlet",
        "half the building lost power {when}",
        "emergency lights not working",
        "outlet [dead|loose|hot to the touch] in {site}",
        "parking lot lights out",
      ],
    },
    {
      name: "appliance",
      description: "Commercial and household appliances: fridges, ovens, dishwashers, washers, ice machines.",
      related: ["plumbing", "electrical"],
      templates: [
        "walk-in [fridge|cooler] at {temperature}, too warm",
        "ice machine not making ice",
        "dishwasher [won't drain|not heating|shows {errorCode}]",
        "oven not heating up in {site}",
        "washer [won't spin|leaking|stuck on {errorCode}]",
        "freezer [iced up|not freezing]",
        "dryer not heating",
        "commercial fryer won't light",
      ],
    },
    {
      name: "doors_locks",
      description: "Doors, locks, access control, gates and shutters.",
      related: ["it_network"],
      templates: [
        "front door won't lock",
        "badge reader not working at {site}",
        "automatic door stuck open",
        "key broke off in the lock in {site}",
        "roller shutter jammed",
        "door closer broken, door slams",
        "gate won't open for deliveries",
        "locked out of {site}, need a locksmith",
      ],
    },
    {
      name: "it_network",
      description: "Networking, Wi-Fi, POS terminals, printers and cabling.",
      related: ["electrical"],
      templates: [
        "Wi-Fi down in {site} {when}",
        "POS terminals offline",
        "network drop needed in {site}",
        "printer not connecting to the network",
        "internet [very slow|keeps dropping] {when}",
        "switch in the server room [beeping|down]",
        "CCTV cameras offline",
        "card readers not connecting",
      ],
    },
    {
      name: "elevator",
      description: "Elevators, lifts and escalators.",
      related: ["electrical"],
      templates: [
        "elevator stuck on [floor 3|the 2nd floor|the ground floor]",
        "person trapped in the lift",
        "escalator stopped {when}",
        "elevator doors won't close",
        "lift making grinding noise",
        "elevator out of service {when}",
        "freight elevator not leveling",
      ],
    },
    {
      name: "general_maintenance",
      description: "Everything else in the building fabric: painting, ceilings, flooring, furniture, pests.",
      related: ["plumbing"],
      templates: [
        "ceiling tile stained and sagging in {site}",
        "need painting touch-up in {site}",
        "broken [chair|desk|shelf] in {site}",
        "floor tiles cracked in {site}",
        "mice seen in {site}",
        "window won't close properly",
        "hole in the drywall in {site}",
        "carpet lifting, trip hazard",
      ],
    },
  ],
});

/** Offline diagnostics: a technician's symptom description mapped to the likely fault, on the device. */
export const offlineDiagnosticsTemplate = defineLabeledTemplate({
  id: "field-offline-diagnostics",
  summary: "On-device, offline: map an HVAC technician's symptom notes to one of 8 likely faults.",
  spec: {
    title: "Offline diagnostics: HVAC symptoms to likely faults, no connectivity needed",
    industry: "field-services",
    task: "classify",
    targets: { accuracy: 0.97, p95LatencyMs: 50, costPer1kRequestsUsd: 0 },
    deployment: "edge",
    // Offline there is no LLM to ask: unsure cases are queued for review when the device syncs.
    routing: { targetAccuracy: 0.95, fallback: "review", shadowRate: 0 },
  },
  openers: ["Symptoms:", "Onsite:", "{brand} {model}:", "Unit {model}:", "Found:"],
  closers: ["{ticket}", "customer says {when}", "checked breaker ok", "filter checked"],
  slots: siteSlots,
  intents: [
    {
      name: "refrigerant_leak",
      description: "Low refrigerant charge from a leak: low suction pressure, ice on lines, oily residue.",
      templates: [
        "low suction pressure {psi}, ice on the suction line, oil stain at the flare",
        "system low on charge, bubbles at the [service valve|coil]",
        "[evap coil|suction line] frozen, superheat high",
        "leak detector alarms at the [condenser coil|braze joint]",
        "unit cooling poorly, pressures low on both sides",
        "hissing at the line set, low charge",
      ],
    },
    {
      name: "compressor_failure",
      description: "Compressor not running, locked rotor, grounded or internally failed.",
      templates: [
        "compressor [hums|clicks] but won't start, fan runs",
        "compressor drawing locked rotor amps then trips",
        "compressor grounded, megger reads 0",
        "compressor very hot and shuts off on overload",
        "no compression, suction and discharge equal",
        "compressor [banging|knocking] loudly",
      ],
    },
    {
      name: "capacitor_failure",
      description: "A failed run or start capacitor: motor hums, won't start, bulging capacitor.",
      templates: [
        "capacitor [bulging|leaking|swollen], condenser fan won't spin",
        "cap reads [5|12|20] uF, rated 45/5",
        "fan starts when pushed with a stick",
        "motor hums but doesn't turn, bad cap suspected",
        "dual run capacitor out of spec",
        "start capacitor blown, compressor won't kick on",
      ],
    },
    {
      name: "dirty_filter_airflow",
      description: "Restricted airflow: clogged filter, dirty coil, blocked return, weak blower airflow.",
      templates: [
        "filter [completely clogged|black|caked with dust]",
        "weak airflow at all vents, return blocked by furniture",
        "evap coil matted with dust",
        "high static pressure, dirty filter",
        "airflow low, blower wheel dirty",
        "coil iced from poor airflow, filter not changed in months",
      ],
    },
    {
      name: "thermostat_fault",
      description: "Thermostat or its wiring: no call for heat or cool, blank display, wrong readings.",
      templates: [
        "thermostat display blank, no {volts} at R and C",
        "no call for cooling from the stat, jumpering R-Y starts unit",
        "thermostat reads 10 degrees off",
        "stat [wiring loose|wire broken] at the terminal",
        "smart thermostat stuck in [heat|cool] mode",
        "thermostat batteries dead, unit won't respond",
      ],
    },
    {
      name: "ignition_failure",
      description: "Gas furnace ignition problems: igniter, flame sensor, gas valve, pilot.",
      templates: [
        "furnace tries to light then shuts off after 3 tries, flame sensor dirty",
        "hot surface igniter [cracked|not glowing]",
        "no spark at the igniter, {errorCode} flashing",
        "pilot won't stay lit",
        "burners light then drop out in seconds",
        "gas valve not opening, {volts} at valve",
      ],
    },
    {
      name: "condensate_drain",
      description: "Condensate drain problems: clogged line, full pan, float switch tripped, water leak.",
      templates: [
        "drain pan full, float switch tripped, unit off",
        "condensate line clogged with algae",
        "water leaking from the air handler",
        "condensate pump [not pumping|beeping]",
        "P-trap blocked, water backing up",
        "secondary drain dripping over the window",
      ],
    },
    {
      name: "electrical_supply",
      description: "Power supply to the unit: breakers, disconnect, fuses, contactor, transformer.",
      templates: [
        "no power at the disconnect, fuse blown",
        "contactor pitted, not pulling in",
        "transformer out, {volts} on secondary",
        "breaker tripped, reset and it trips again",
        "loose wire on the contactor, burnt lug",
        "low voltage at the unit, {volts} measured",
      ],
    },
  ],
});

/** Mobile assistance: technicians' common questions answered on the device from the field handbook. */
export const technicianAssistantTemplate = defineAnswerTemplate({
  id: "field-technician-assistant",
  summary:
    "On-device support for technicians: answers to 10 common procedure questions from the field handbook.",
  spec: {
    title: "Mobile assistance: on-device answers for field technicians",
    industry: "field-services",
    targets: { accuracy: 0.97, p95LatencyMs: 50, costPer1kRequestsUsd: 0.01 },
    deployment: "edge",
    routing: { targetAccuracy: 0.97, fallback: "review", shadowRate: 0 },
  },
  openers: ["Hey,", "Quick one:", "Onsite now,", "Q:", "{ticket}:"],
  closers: ["thx", "thanks", "asap", "customer waiting"],
  slots: siteSlots,
  intents: [
    {
      name: "lockout_procedure",
      description: "How to lock out and verify zero energy before work.",
      answer:
        "Shut down, isolate at the disconnect, apply your lock and tag, then verify zero energy with the meter (test the meter before and after) before touching anything.",
      templates: [
        "what's the lockout procedure",
        "do I need to LOTO for a fan swap?",
        "steps for lockout tagout",
        "how do I verify zero energy",
        "lock out the disconnect before changing a cap?",
        "LOTO steps again?",
      ],
    },
    {
      name: "error_code_lookup",
      description: "What a unit's error or fault code means.",
      answer:
        "Error {error_code}: check the unit's fault table on the inside of the access panel; codes starting E are sensor faults, F are flame or ignition faults.",
      slots: {
        error_code: {
          pattern: "\\b([EF]\\d{1,2}|code \\d{3}|fault \\d{2})\\b",
          fallback: "shown on the board",
        },
      },
      templates: [
        "what does {errorCode} mean on a {brand}",
        "unit flashing {errorCode}, what is it",
        "board shows {errorCode}",
        "fault code {errorCode} meaning?",
        "{brand} {model} throwing {errorCode}",
      ],
    },
    {
      name: "warranty_claim",
      description: "How to file a parts warranty claim.",
      answer:
        "Photograph the serial plate and the failed part, tag the part with the ticket number and submit the claim in the app under Parts > Warranty within 30 days.",
      templates: [
        "how do I file a warranty claim",
        "is this compressor under warranty, what do I do",
        "warranty process for a failed part",
        "do I send the old part back for warranty",
        "where do I submit warranty",
      ],
    },
    {
      name: "parts_ordering",
      description: "Ordering parts from the warehouse or a supplier.",
      answer:
        "Order parts in the app under Parts > Request; stock items ship next day to your van, and urgent ones can be picked up at the branch counter from 7 am.",
      templates: [
        "how do I order a part",
        "need a part for tomorrow, how to order",
        "can I pick up parts at the branch",
        "parts request process?",
        "where do I order a {brand} motor",
      ],
    },
    {
      name: "timesheet",
      description: "Logging hours, overtime and travel time.",
      answer:
        "Log hours per job in the app when you close the work order; travel time is a separate line, and overtime needs your supervisor's approval the same day.",
      templates: [
        "how do I log my hours",
        "does travel time count on the timesheet",
        "how to enter overtime",
        "forgot to clock out yesterday",
        "timesheet for {ticket}?",
      ],
    },
    {
      name: "customer_signoff",
      description: "Getting the customer's signature and closing the job.",
      answer:
        "Walk the customer through the work, take the signature on the device under Close job, and the report is emailed to them automatically.",
      templates: [
        "customer not on site, how do I get the signoff",
        "how to close the job with a signature",
        "can the {customer} sign for the job",
        "customer refuses to sign, what now",
        "signoff process?",
      ],
    },
    {
      name: "refrigerant_handling",
      description: "Rules for recovering and logging refrigerant.",
      answer:
        "Recover refrigerant into a labelled recovery cylinder, never vent it, and log the amount added or recovered with the cylinder number on the work order.",
      templates: [
        "how do I log refrigerant I added",
        "can I vent a little R-410A",
        "where does recovered refrigerant go",
        "refrigerant recovery rules?",
        "record refrigerant for {ticket}",
      ],
    },
    {
      name: "safety_incident",
      description: "What to do after an injury, near miss or property damage.",
      answer:
        "Make the area safe, get first aid or call 911 if needed, tell your supervisor at once, and file an incident report in the app within 24 hours.",
      templates: [
        "I cut my hand on a panel, what do I do",
        "how do I report a near miss",
        "damaged the customer's ceiling, who do I tell",
        "incident report process",
        "got a shock from a unit, what now",
      ],
    },
    {
      name: "escalate_job",
      description: "Asking for a senior tech or escalating a job that cannot be finished.",
      answer:
        "Put the job on hold with reason 'Needs senior', add photos and readings, and call the dispatch line; a senior tech calls back within 30 minutes.",
      templates: [
        "can't fix it, how do I escalate",
        "need a senior tech on site",
        "job is beyond me, who do I call",
        "escalate {ticket}",
        "need backup on this job",
      ],
    },
    {
      name: "torque_specs",
      description: "Torque values for flare and service connections.",
      answer:
        'Flare nuts: 1/4" 15 ft-lb, 3/8" 30 ft-lb, 1/2" 40 ft-lb, 5/8" 55 ft-lb; service valve caps 8 ft-lb. Check the unit manual for anything else.',
      templates: [
        "torque for a 3/8 flare nut",
        "what torque on the flare fittings",
        "service valve cap torque?",
        "how tight should the flare nuts be",
        "torque specs for line set",
      ],
    },
  ],
});
