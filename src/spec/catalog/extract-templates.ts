// The brief's extraction use cases: inventory lookups, price comparisons, scheduling, refills, parts identification.

import { defineSpanTemplate } from "./span-generator.js";
import type { TemplateFile } from "./template.js";
import { digits, pick } from "./text-variation.js";
import { birthDateForm, codeForm, dateForm, moneyForm, quantityForm, timeForm } from "./value-forms.js";

/** One row of the product table shipped with the retail lookup use cases. */
export interface ProductRow {
  sku: string;
  name: string;
  category: string;
  priceUsd: number;
  sizes: string[];
  colors: string[];
  /** Units on hand per store. */
  stock: Record<string, number>;
}

const storeNames = ["Downtown", "Riverside Mall", "Airport", "Northgate", "Online warehouse"] as const;

/** The product table: fixed rows (not seeded), so every written use case looks stock and prices up the same way. */
export const productTable: readonly ProductRow[] = [
  ["RN-1042", "Trail Runner 2 running shoes", "footwear", 89.99, ["8", "9", "10", "11"], ["black", "blue"]],
  ["RN-1043", "Cloud Glide running shoes", "footwear", 129.0, ["7", "8", "9", "10"], ["white", "grey"]],
  ["HD-2210", "Everyday fleece hoodie", "apparel", 39.5, ["S", "M", "L", "XL"], ["navy", "grey", "red"]],
  ["HD-2211", "Heavyweight zip hoodie", "apparel", 54.0, ["M", "L", "XL"], ["black", "green"]],
  ["JK-3301", "Packable rain jacket", "apparel", 74.99, ["S", "M", "L"], ["yellow", "navy"]],
  ["EB-4410", "AirBeat wireless earbuds", "electronics", 59.99, [], ["white", "black"]],
  ["EB-4412", "AirBeat Pro noise cancelling earbuds", "electronics", 149.0, [], ["black"]],
  ["SP-5120", "Boombox mini bluetooth speaker", "electronics", 34.99, [], ["blue", "red", "black"]],
  ["KT-6001", "Steel electric kettle 1.7 L", "home", 29.99, [], ["silver", "black"]],
  ["AF-6104", "Crisp 5 L air fryer", "home", 89.0, [], ["black"]],
  ["AF-6105", "Crisp XL 8 L air fryer", "home", 119.0, [], ["black", "white"]],
  ["YM-7003", "Grip yoga mat 6 mm", "sports", 24.99, [], ["purple", "teal", "black"]],
  ["DB-7110", "Adjustable dumbbell pair", "sports", 199.0, [], ["black"]],
  ["BP-8020", "Commuter backpack 25 L", "bags", 64.5, [], ["grey", "black", "olive"]],
  ["WB-8101", "Insulated water bottle 750 ml", "home", 19.99, [], ["blue", "pink", "white"]],
  ["LP-9005", "Desk lamp with USB port", "home", 27.0, [], ["white", "black"]],
].map(([sku, name, category, priceUsd, sizes, colors], index) => ({
  sku: sku as string,
  name: name as string,
  category: category as string,
  priceUsd: priceUsd as number,
  sizes: sizes as string[],
  colors: colors as string[],
  // A fixed pattern, so some items are out of stock somewhere: what lookups exist to find out.
  stock: Object.fromEntries(
    storeNames.map((store, storeIndex) => [store, (index * 7 + storeIndex * 5) % 13]),
  ),
}));

const productFile: TemplateFile = {
  path: "data/products.json",
  role: "table",
  content: `${JSON.stringify(productTable, null, 2)}\n`,
};

/** How people name a product: full name, short name, or a lower-case paraphrase. */
const productMentions = productTable.flatMap((row) => {
  const short = row.name.split(" ").slice(0, 2).join(" ");
  return [
    row.name,
    short,
    row.name.toLowerCase(),
    `${row.category === "footwear" ? "the " : ""}${short.toLowerCase()}`,
  ].map((mention) => mention.replace(/^the /, ""));
});

const retailValues = {
  product: (random: Parameters<typeof pick>[0]) => pick(random, productMentions),
  compare_with: (random: Parameters<typeof pick>[0]) => pick(random, productMentions),
  sku: (random: Parameters<typeof pick>[0]) =>
    pick(random, [
      () => pick(random, productTable).sku,
      () => pick(random, productTable).sku.replace("-", ""),
      () => pick(random, productTable).sku.toLowerCase(),
    ])(),
  size: (random: Parameters<typeof pick>[0]) =>
    pick(random, ["size 9", "size 10", "a 10", "medium", "M", "large", "XL", "small", "size 8.5", "EU 43"]),
  color: (random: Parameters<typeof pick>[0]) =>
    pick(random, ["black", "navy", "blue", "red", "white", "grey", "olive", "teal", "pink"]),
  quantity: (random: Parameters<typeof pick>[0]) =>
    quantityForm(random, ["pairs", "units", "pieces", "of them"]),
  store: (random: Parameters<typeof pick>[0]) =>
    pick(random, [
      "Downtown",
      "the downtown store",
      "Riverside Mall",
      "the airport store",
      "Northgate",
      "online",
      "your Northgate branch",
    ]),
  max_price: moneyForm,
  name: (random: Parameters<typeof pick>[0]) => pick(random, ["Sam", "Ana", "Lee", "Priya", "Tom"]),
  otherProduct: (random: Parameters<typeof pick>[0]) =>
    pick(random, ["my old ones", "the last pair", "a gift", "my sister's"]),
};

/** Inventory lookups: what a customer asks for, extracted so the product table answers stock questions. */
export const inventoryLookupTemplate = defineSpanTemplate({
  id: "retail-inventory-lookup",
  summary:
    "Extract product, SKU, size, color, quantity and store from stock questions; look them up in data/products.json.",
  spec: {
    title: "Inventory lookups: check stock availability",
    industry: "retail",
    targets: { accuracy: 0.97, p95LatencyMs: 50, costPer1kRequestsUsd: 0.01 },
    deployment: "edge",
    routing: { targetAccuracy: 0.95, fallback: "llm", shadowRate: 0 },
  },
  fields: [
    // Not required: a SKU alone identifies the product too.
    {
      name: "product",
      type: "string",
      required: false,
      description: "The product as the customer names it; matched against the product table.",
    },
    { name: "sku", type: "code", required: false, description: "The product code, e.g. RN-1042." },
    { name: "size", type: "string", required: false, description: "Size wanted." },
    { name: "color", type: "string", required: false, description: "Color wanted." },
    { name: "quantity", type: "quantity", required: false, description: "How many units are wanted." },
    { name: "store", type: "string", required: false, description: "The store or channel to check." },
  ],
  files: [productFile],
  openers: ["Hi,", "Hello!", "Quick question:", "Hey there,"],
  closers: ["Thanks!", "thx", "I can come today.", "Need it for the weekend."],
  values: retailValues,
  templates: [
    "Do you have the {product} in {size}[ in {color}|]?",
    "Is the {product} in stock at {store}?",
    "Any {color} {product} left at {store}?",
    "I need {quantity} {product}, do you have them [in stock|available]?",
    "Do you have {sku} in {color}?",
    "is {sku} available [at {store}|online|] in {size}?",
    "Checking stock: {product}, {size}, {color}",
    "Can I pick up the {product} at {store} [today|tomorrow]?",
    "How many {product} do you have at {store}?",
    "do u have {product} {size}",
    "Looking for {quantity} of the {product} in {color}, is {store} stocked?",
    "Is the {product} ({sku}) back in stock?",
    "stock check {sku} {store}",
    "I want to replace {otherProduct} with the {product} in {size}, do you have it?",
  ],
});

/** Price comparisons: the products and budget a customer compares, extracted for a lookup in the product table. */
export const priceComparisonTemplate = defineSpanTemplate({
  id: "retail-price-comparison",
  summary:
    "Extract the products, quantity and budget from price questions; compare prices from data/products.json.",
  spec: {
    title: "Price comparisons: compare pricing across products",
    industry: "retail",
    targets: { accuracy: 0.95, p95LatencyMs: 50, costPer1kRequestsUsd: 0.01 },
    deployment: "edge",
    routing: { targetAccuracy: 0.95, fallback: "llm", shadowRate: 0 },
  },
  fields: [
    {
      name: "product",
      type: "string",
      required: true,
      description: "The first (or only) product asked about.",
    },
    {
      name: "compare_with",
      type: "string",
      required: false,
      description: "The product it is compared with.",
    },
    { name: "max_price", type: "money", required: false, description: "The customer's budget." },
    { name: "quantity", type: "quantity", required: false, description: "How many units the price is for." },
  ],
  files: [productFile],
  openers: ["Hi,", "Hey,", "Question:", "Hello,"],
  closers: ["Thanks!", "thx", "which is the better deal?", "cheers"],
  values: retailValues,
  templates: [
    "Which is cheaper, the {product} or the {compare_with}?",
    "Compare {product} vs {compare_with}",
    "What's the price difference between the {product} and the {compare_with}?",
    "Is the {product} under {max_price}?",
    "How much for {quantity} {product}?",
    "I have {max_price}, can I get the {product} or the {compare_with}?",
    "price of {product}?",
    "Is {product} cheaper than {compare_with} right now?",
    "What would {quantity} of the {product} cost?",
    "anything like the {product} but below {max_price}?",
    "{product} or {compare_with}, which costs less",
    "Is the {product} more expensive than the {compare_with}? Budget is {max_price}.",
  ],
});

const providers = [
  "Dr. Patel",
  "Dr. Nguyen",
  "Dr Smith",
  "Dr. García",
  "Nurse Kim",
  "Dr. O'Brien",
  "the dermatologist",
  "Dr. Chen",
];

/** Appointment scheduling: the fields of a scheduling request, for the booking system. */
export const appointmentSchedulingTemplate = defineSpanTemplate({
  id: "health-appointment-scheduling",
  summary: "Parse scheduling requests into appointment type, provider, date, time and patient name.",
  spec: {
    title: "Appointment scheduling: parse scheduling requests",
    industry: "healthcare",
    targets: { accuracy: 0.93, p95LatencyMs: 100, costPer1kRequestsUsd: 0.02 },
    deployment: "hybrid",
    routing: { targetAccuracy: 0.97, fallback: "review", shadowRate: 0.02 },
  },
  fields: [
    {
      name: "appointment_type",
      type: "string",
      required: false,
      description: "Kind of visit: check-up, follow-up, vaccination, ...",
    },
    { name: "provider", type: "string", required: false, description: "The clinician asked for." },
    {
      name: "date",
      type: "date",
      required: true,
      description: "The day wanted, relative to the message date.",
    },
    { name: "time", type: "time", required: false, description: "The time of day wanted." },
    {
      name: "patient_name",
      type: "string",
      required: false,
      description: "Who the appointment is for, when named.",
    },
  ],
  openers: ["Hi,", "Hello,", "Good morning,", "Hi there,"],
  closers: ["Thank you.", "Thanks!", "My number is 555-{phone}.", "Please confirm."],
  values: {
    appointment_type: (random) =>
      pick(random, [
        "check-up",
        "annual physical",
        "follow-up",
        "flu shot",
        "blood test",
        "vaccination",
        "consultation",
        "skin check",
        "physical",
        "telehealth visit",
        "cleaning",
      ]),
    provider: (random) => pick(random, providers),
    date: dateForm,
    time: timeForm,
    patient_name: (random) =>
      `${pick(random, ["Maria", "John", "Aisha", "Wei", "Carlos", "Emma", "Noah", "Fatima"])} ${pick(random, ["Lopez", "Miller", "Okafor", "Zhang", "Rossi", "Cohen"])}`,
    otherDate: dateForm,
    phone: (random) => digits(random, 4),
  },
  templates: [
    "I'd like to book a {appointment_type} with {provider} on {date} at {time}.",
    "Can I see {provider} {date}[ around {time}|]?",
    "Need a {appointment_type} for {patient_name} on {date}, {time} if possible",
    "[Please|Could you] schedule {patient_name} for a {appointment_type} {date} at {time}",
    "any openings {date}? [morning|afternoon] is fine, ideally {time}",
    "I have to move my appointment from {otherDate} to {date} at {time}.",
    "book me in with {provider} {date}",
    "Can {patient_name} get a {appointment_type} {date}?",
    "Is {time} on {date} free for a {appointment_type}?",
    "{appointment_type} appointment {date} {time} pls",
    "Reschedule {patient_name}'s {appointment_type} to {date}",
    "I want the first slot {date} with {provider}, at {time} or later",
  ],
});

const medications = [
  "lisinopril",
  "metformin",
  "atorvastatin",
  "levothyroxine",
  "amlodipine",
  "sertraline",
  "omeprazole",
  "albuterol inhaler",
  "losartan",
  "Synthroid",
  "Lipitor",
  "gabapentin",
];

/** Prescription refills: what a refill request names, for the pharmacy queue. */
export const prescriptionRefillsTemplate = defineSpanTemplate({
  id: "health-prescription-refills",
  summary: "Extract medication, dose, quantity, Rx number, pharmacy and date of birth from refill requests.",
  spec: {
    title: "Prescription refills: process refill requests",
    industry: "healthcare",
    targets: { accuracy: 0.97, p95LatencyMs: 100, costPer1kRequestsUsd: 0.02 },
    deployment: "hybrid",
    routing: { targetAccuracy: 0.98, fallback: "review", shadowRate: 0.02 },
  },
  fields: [
    {
      name: "medication",
      type: "string",
      required: true,
      description: "The drug, by generic or brand name.",
    },
    { name: "dose", type: "quantity", required: false, description: "Strength, e.g. 10 mg." },
    {
      name: "quantity",
      type: "quantity",
      required: false,
      description: "How many tablets or how many days' supply.",
    },
    { name: "rx_number", type: "code", required: false, description: "The prescription number." },
    { name: "pharmacy", type: "string", required: false, description: "Where to send the refill." },
    {
      name: "date_of_birth",
      type: "date",
      required: false,
      description: "The patient's date of birth, for identification.",
    },
  ],
  openers: ["Hi,", "Hello,", "Refill request:", "Hi Dr.,"],
  closers: ["Thank you.", "Thanks", "I'm almost out.", "Running out {date}."],
  values: {
    medication: (random) => pick(random, medications),
    dose: (random) =>
      `${pick(random, ["5", "10", "20", "25", "40", "50", "100", "500", "1000"])} ${pick(random, ["mg", "mg", "mcg"])}`,
    quantity: (random) =>
      pick(random, [
        "30 tablets",
        "90 tablets",
        "a 90 day supply",
        "60 pills",
        "30 days",
        "3 months",
        "2 inhalers",
        "90",
      ]),
    rx_number: (random) =>
      pick(random, [
        () => `RX${digits(random, 7)}`,
        () => `${digits(random, 7)}`,
        () => `Rx ${digits(random, 6)}-${digits(random, 2)}`,
      ])(),
    pharmacy: (random) =>
      pick(random, [
        "CVS on Main St",
        "Walgreens",
        "the Walgreens on 5th",
        "Rite Aid",
        "the hospital pharmacy",
        "mail order",
        "Costco pharmacy",
      ]),
    date_of_birth: birthDateForm,
    date: dateForm,
  },
  templates: [
    "Please refill my {medication} {dose}, Rx {rx_number}.",
    "I need a refill of {medication} {dose}, {quantity}, sent to {pharmacy}.",
    "refill {medication} pls, DOB {date_of_birth}",
    "Can you send {quantity} of {medication} to {pharmacy}?",
    "Rx # {rx_number} refill please, {pharmacy}",
    "I'm out of my {medication}. Date of birth {date_of_birth}, pharmacy is {pharmacy}.",
    "requesting refill: {medication} {dose} x {quantity}",
    "My {medication} {dose} prescription ({rx_number}) needs renewing",
    "Could the doctor renew {medication}? DOB {date_of_birth}",
    "refill for {medication}, {dose}, {quantity}, to {pharmacy}",
    "Need more {medication} before {date}, Rx {rx_number}",
  ],
});

/** Parts identification: the part a technician or customer describes, for the parts catalog. */
export const partsIdentificationTemplate = defineSpanTemplate({
  id: "field-parts-identification",
  summary:
    "Identify needed parts: extract part name, part number, quantity, equipment model and manufacturer.",
  spec: {
    title: "Parts identification: identify needed parts from requests",
    industry: "field-services",
    targets: { accuracy: 0.97, p95LatencyMs: 50, costPer1kRequestsUsd: 0.01 },
    deployment: "edge",
    routing: { targetAccuracy: 0.95, fallback: "review", shadowRate: 0 },
  },
  fields: [
    {
      name: "part_name",
      type: "string",
      required: true,
      description: "What the part is: capacitor, contactor, igniter, ...",
    },
    { name: "part_number", type: "code", required: false, description: "The manufacturer's part number." },
    { name: "quantity", type: "quantity", required: false, description: "How many are needed." },
    {
      name: "equipment_model",
      type: "code",
      required: false,
      description: "The model number of the unit it goes in.",
    },
    { name: "manufacturer", type: "string", required: false, description: "The equipment or part maker." },
  ],
  openers: ["Need:", "Parts request -", "Hey warehouse,", "Onsite,"],
  closers: ["thx", "for WO {ticket}", "asap", "van stock is out"],
  values: {
    part_name: (random) =>
      pick(random, [
        "run capacitor",
        "45/5 capacitor",
        "contactor",
        "condenser fan motor",
        "blower motor",
        "hot surface igniter",
        "flame sensor",
        "pressure switch",
        "control board",
        "TXV",
        "filter drier",
        "float switch",
        "thermostat",
        "inducer motor",
        "gas valve",
        "door gasket",
      ]),
    part_number: (random) =>
      codeForm(random, ["CAP", "HQ", "TRN", "P", "CNT", "MOT", "LB"], 4 + random.int(3)),
    quantity: (random) => quantityForm(random, ["pcs", "units", "ea"]),
    equipment_model: (random) =>
      codeForm(random, ["XR16", "TUH1", "ML180", "DX13", "RA14", "GSX14", "24ACC6"], 3),
    manufacturer: (random) =>
      pick(random, [
        "Carrier",
        "Trane",
        "Lennox",
        "Daikin",
        "Rheem",
        "Goodman",
        "Honeywell",
        "Emerson",
        "White-Rodgers",
      ]),
    ticket: (random) => digits(random, 6),
  },
  templates: [
    "need {quantity} {part_name} for a {manufacturer} {equipment_model}",
    "{part_name}, part # {part_number}, qty {quantity}",
    "Can you send {quantity} x {part_number}?",
    "Looking for the {part_name} that fits {equipment_model}",
    "{manufacturer} {part_name} {part_number} needed",
    "what {part_name} goes in a {manufacturer} {equipment_model}?",
    "order {quantity} {part_name} ({part_number})",
    "replace {part_name} on {equipment_model}, need {quantity}",
    "do we stock {part_number}? it's the {part_name} for the {manufacturer} units",
    "{part_name} for model {equipment_model} please",
    "pls pull {quantity} {manufacturer} {part_name}",
  ],
});
