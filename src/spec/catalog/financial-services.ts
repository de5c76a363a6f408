// Financial-services use cases of the brief: transaction categories, fraud flags, document types, customer questions.

import { defineAnswerTemplate } from "./answer-template.js";
import { defineLabeledTemplate } from "./labeled-generator.js";
import { digits, pick, type SlotFiller } from "./text-variation.js";

const bankSlots: Readonly<Record<string, SlotFiller>> = {
  amount: (random) =>
    pick(random, [
      () => `$${1 + random.int(180)}.${digits(random, 2)}`,
      () => `${1 + random.int(180)}.${digits(random, 2)}`,
      () => `USD ${1 + random.int(180)}.${digits(random, 2)}`,
    ])(),
  bigAmount: (random) =>
    `$${pick(random, ["1,950.00", "2,400.00", "4,999.99", "9,800.00", "3,250.00", "7,500.00"])}`,
  ref: (random) =>
    pick(random, [
      () => `${digits(random, 6)}`,
      () => `REF${digits(random, 8)}`,
      () => `#${digits(random, 4)}`,
      () => `*${digits(random, 4)}`,
    ])(),
  city: (random) =>
    pick(random, [
      "SEATTLE WA",
      "AUSTIN TX",
      "NEW YORK NY",
      "CHICAGO IL",
      "DENVER CO",
      "BOSTON MA",
      "LONDON GB",
      "TORONTO ON",
    ]),
  date: (random) =>
    `${String(1 + random.int(12)).padStart(2, "0")}/${String(1 + random.int(28)).padStart(2, "0")}`,
  last4: (random) => digits(random, 4),
  country: (random) =>
    pick(random, ["Nigeria", "Romania", "Vietnam", "Brazil", "Russia", "an unknown country", "Indonesia"]),
  time: (random) => pick(random, ["03:12", "02:47", "04:05", "01:30", "3am", "4:20 AM"]),
  merchantShop: (random) =>
    pick(random, ["AMAZON MKTPLACE", "TARGET", "BEST BUY", "IKEA", "ETSY", "ZARA", "H&M", "HOME DEPOT"]),
  name: (random) => pick(random, ["J SMITH", "MARIA GARCIA", "A KHAN", "L CHEN", "T BROWN", "P PATEL"]),
  year: (random) => pick(random, ["2022", "2023", "2024", "2025"]),
  employer: (random) => pick(random, ["ACME CORP", "NORTHWIND LLC", "GLOBEX INC", "INITECH", "CONTOSO LTD"]),
  accountNumber: (random) => `****${digits(random, 4)}`,
  count: (random) => String(3 + random.int(12)),
};

const transactionPrefixes = [
  "POS",
  "DEBIT CARD PURCHASE",
  "CARD",
  "PURCHASE",
  "VISA",
  "CHECKCARD",
  "ACH",
] as const;

/** Transaction categorization: raw bank statement descriptors into budgeting categories. */
export const transactionCategorizationTemplate = defineLabeledTemplate({
  id: "fin-transaction-categorization",
  summary: "Categorize raw card and bank transaction descriptors into 12 budgeting categories.",
  spec: {
    title: "Transaction categorization: bank descriptors to spending categories",
    industry: "financial-services",
    task: "classify",
    targets: { accuracy: 0.95, p95LatencyMs: 20, costPer1kRequestsUsd: 0.005 },
    deployment: "cloud",
    routing: { targetAccuracy: 0.97, fallback: "llm", shadowRate: 0 },
  },
  openers: transactionPrefixes,
  rates: { opener: 0.4, closer: 0.3, ambiguous: 0 },
  closers: ["{city}", "{date}", "{ref}", "CARD {last4}", "{city} {date}"],
  // Descriptors are machine-printed upper case; typos come from merchants' own abbreviations.
  noise: {
    typo: 0.1,
    abbreviation: 0,
    lowerCase: 0.2,
    upperCase: 0.5,
    dropFinalPunctuation: 1,
    dropAllPunctuation: 0,
    repeatPunctuation: 0,
  },
  slots: bankSlots,
  intents: [
    {
      name: "groceries",
      description: "Supermarkets and grocery stores.",
      templates: [
        "[WHOLEFDS|WHOLE FOODS MKT] #{ref}",
        "TRADER JOE'S #{ref}",
        "KROGER {ref}",
        "SAFEWAY STORE {ref}",
        "ALDI {ref}",
        "[PUBLIX|WEGMANS|HEB] SUPER MKT",
        "COSTCO WHSE #{ref}",
        "INSTACART*[GROCERY|ORDER]",
        "LIDL {ref}",
        "FRESH MARKET",
      ],
    },
    {
      name: "dining",
      description: "Restaurants, cafes, bars and food delivery.",
      templates: [
        "STARBUCKS STORE {ref}",
        "MCDONALD'S F{ref}",
        "UBER *EATS",
        "DOORDASH*[CHIPOTLE|PANDA EXP|SUBWAY]",
        "SQ *[BLUE BOTTLE|JOE'S PIZZA|TACO TRUCK]",
        "CHIPOTLE {ref}",
        "TST* [THE GRILL|NOODLE BAR|BRASSERIE]",
        "GRUBHUB*[THAI KITCHEN|SUSHI]",
        "DUNKIN #{ref}",
        "OLIVE GARDEN {ref}",
      ],
    },
    {
      name: "transport",
      description: "Rideshare, public transit, parking, tolls and taxis.",
      templates: [
        "UBER *TRIP {ref}",
        "LYFT *RIDE [MON|FRI|SAT] {time}",
        "MTA*NYCT PAYGO",
        "PARKING [GARAGE|METER] {city}",
        "E-ZPASS [REBILL|TOLL]",
        "BART CLIPPER",
        "[YELLOW CAB|TAXI] {ref}",
        "SPOTHERO {ref}",
        "AMTRAK [TICKET|.COM] {ref}",
      ],
    },
    {
      name: "fuel",
      description: "Gas stations and EV charging.",
      templates: [
        "SHELL OIL {ref}",
        "CHEVRON {ref}",
        "EXXONMOBIL {ref}",
        "BP#{ref}",
        "[76|ARCO|VALERO] FUEL {ref}",
        "COSTCO GAS #{ref}",
        "TESLA SUPERCHARGER",
        "CHARGEPOINT {ref}",
        "SUNOCO {ref}",
      ],
    },
    {
      name: "utilities",
      description: "Electricity, gas, water, internet and phone bills.",
      templates: [
        "[PG&E|CON ED|DUKE ENERGY] WEB ONLINE PMT",
        "COMCAST [CABLE|XFINITY] {ref}",
        "VERIZON WIRELESS [PAYMENT|BILL]",
        "AT&T *BILL PAYMENT",
        "CITY OF {city} WATER [UTIL|DEPT]",
        "T-MOBILE AUTOPAY",
        "SPECTRUM INTERNET",
        "NATIONAL GRID {ref}",
      ],
    },
    {
      name: "housing",
      description: "Rent, mortgage, HOA fees and home insurance.",
      templates: [
        "ACH [RENT|RENT PMT] [APTS|PROPERTY MGMT] {ref}",
        "[WELLS FARGO|CHASE|ROCKET] MORTGAGE PMT",
        "HOA DUES {ref}",
        "ZELLE TO LANDLORD {name}",
        "[AVAIL|APPFOLIO] RENT",
        "MORTGAGE PAYMENT {ref}",
        "[STATE FARM|ALLSTATE] HOME INS",
      ],
    },
    {
      name: "entertainment",
      description: "Streaming, games, movies, concerts and subscriptions for fun.",
      templates: [
        "NETFLIX.COM",
        "SPOTIFY USA",
        "HULU {ref}",
        "DISNEY PLUS",
        "STEAM GAMES {ref}",
        "[AMC|REGAL] THEATRES {ref}",
        "TICKETMASTER {ref}",
        "APPLE.COM/BILL [MUSIC|TV+]",
        "PLAYSTATION NETWORK",
        "YOUTUBE PREMIUM",
      ],
    },
    {
      name: "shopping",
      description: "Retail purchases: online marketplaces, clothing, electronics, home goods.",
      templates: [
        "{merchantShop} {ref}",
        "AMZN Mktp US*{ref}",
        "[WALMART.COM|TARGET.COM] {ref}",
        "SHEIN*ORDER {ref}",
        "[NIKE|ADIDAS] STORE {ref}",
        "[APPLE STORE|BEST BUY] R{ref}",
        "EBAY O*{ref}",
        "[TJ MAXX|MARSHALLS] #{ref}",
      ],
    },
    {
      name: "travel",
      description: "Flights, hotels, car rental and travel bookings.",
      templates: [
        "[DELTA AIR|UNITED|AMERICAN AIR|SOUTHWEST] {ref}",
        "[MARRIOTT|HILTON|HYATT] [HOTEL|] {city}",
        "AIRBNB * HM{ref}",
        "EXPEDIA {ref}",
        "[HERTZ|AVIS|ENTERPRISE] RENT-A-CAR",
        "BOOKING.COM HOTEL",
        "[RYANAIR|EASYJET] {ref}",
        "TSA PRECHECK",
      ],
    },
    {
      name: "health",
      description: "Pharmacies, doctors, dentists, hospitals and health insurance.",
      templates: [
        "CVS/PHARMACY #{ref}",
        "WALGREENS #{ref}",
        "[DENTAL|ORTHODONTICS] [CARE|GROUP] {ref}",
        "[KAISER|BLUE CROSS] PREMIUM",
        "LABCORP {ref}",
        "[URGENT CARE|MEDICAL CLINIC] {city}",
        "QUEST DIAGNOSTICS",
        "VISION CENTER {ref}",
        "RITE AID {ref}",
      ],
    },
    {
      name: "income",
      description: "Salary, payroll, refunds from tax authorities and other incoming money.",
      templates: [
        "DIRECT DEP {employer} PAYROLL",
        "{employer} PPD SALARY",
        "ACH CREDIT {employer} PAYROLL {ref}",
        "IRS TREAS 310 TAX REF",
        "[ADP|GUSTO|PAYCHEX] PAYROLL DEP",
        "INTEREST PAYMENT",
        "DEPOSIT {employer}",
        "VENMO CASHOUT",
      ],
    },
    {
      name: "fees",
      description: "Bank fees: overdraft, ATM, foreign transaction, late and monthly service fees.",
      templates: [
        "OVERDRAFT [FEE|ITEM FEE] {ref}",
        "ATM [FEE|SURCHARGE] {ref}",
        "FOREIGN TRANSACTION FEE",
        "MONTHLY [SERVICE|MAINTENANCE] FEE",
        "LATE PAYMENT FEE",
        "[WIRE|OUTGOING WIRE] FEE",
        "INSUFFICIENT FUNDS FEE",
        "ANNUAL MEMBERSHIP FEE",
      ],
    },
  ],
});

/** Simple fraud detection: transaction alerts in plain text, flagged for review with recall in mind. */
export const fraudFlagTemplate = defineLabeledTemplate({
  id: "fin-fraud-flag",
  summary:
    "Flag suspicious transactions from their descriptions (recall-oriented: unsure ones go to an analyst).",
  spec: {
    title: "Simple fraud detection: suspicious or normal transactions",
    industry: "financial-services",
    task: "classify",
    targets: { accuracy: 0.95, p95LatencyMs: 20, costPer1kRequestsUsd: 0.005 },
    deployment: "cloud",
    // Recall-oriented: the threshold is set for 99% accepted accuracy, so a doubtful case goes to an analyst.
    routing: { targetAccuracy: 0.99, fallback: "review", shadowRate: 0.05 },
  },
  openers: ["Txn:", "Alert:", "Card {last4}:", "Event:", "ACCT {accountNumber}:"],
  closers: ["{date}", "ref {ref}", "card present: no", "channel: web", "channel: POS"],
  rates: { opener: 0.3, closer: 0.3, ambiguous: 0 },
  noise: { typo: 0.1, abbreviation: 0, lowerCase: 0.2, upperCase: 0.1, repeatPunctuation: 0 },
  slots: bankSlots,
  intents: [
    {
      name: "suspicious",
      description:
        "Patterns that warrant review: card testing, unusual location or time, rapid large purchases, account takeover signs.",
      templates: [
        "{count} [small|$1.00] charges at [different|unknown] online merchants within 5 minutes",
        "{bigAmount} [electronics|gift card] purchase at {time} from {country}, first use abroad",
        "card used in {city} and {country} within 1 hour",
        "{count} gift cards bought in one order, new shipping address",
        "password changed, new device, then {bigAmount} transfer to new payee",
        "[wire|transfer] of {bigAmount} to a first-time beneficiary in {country}",
        "ATM withdrawals at {time} in {country}, card normally used in {city}",
        "[crypto exchange|money transfer app] {bigAmount}, customer never used it before",
        "declined {count} times with wrong CVV, then approved {bigAmount}",
        "online purchase {bigAmount}, billing and shipping address mismatch, [new account|email changed yesterday]",
        "{count} purchases of {amount} at the same merchant in {count} minutes",
        "[SIM swap|phone number change] followed by {bigAmount} Zelle",
        "card-not-present charge {bigAmount} at {time}, unusual merchant category",
      ],
    },
    {
      name: "normal",
      description: "Ordinary activity consistent with the customer's history.",
      templates: [
        "{amount} at [WHOLE FOODS|SAFEWAY|TRADER JOE'S] in {city}, usual store",
        "monthly [NETFLIX|SPOTIFY|GYM] subscription {amount}",
        "rent payment to [known|usual] payee {bigAmount} on the 1st",
        "payroll deposit from {employer}",
        "[coffee|lunch] {amount} near home, card present",
        "utility bill autopay {amount}",
        "{amount} fuel purchase in {city}, chip read",
        "transfer {amount} to own savings account",
        "{amount} at [AMAZON|TARGET] shipped to home address on file",
        "Zelle {amount} to [friend|family member] paid many times before",
        "hotel {amount} in {city} after airline ticket bought last week, travel notice on file",
        "ATM withdrawal {amount} at home branch, daytime",
        "[pharmacy|grocery] purchase {amount}, chip and PIN",
      ],
    },
  ],
});

/** Document classification: the first lines of an uploaded financial document into its document type. */
export const documentClassificationTemplate = defineLabeledTemplate({
  id: "fin-document-classification",
  summary:
    "Classify uploaded financial documents from their first lines into 10 types (statement, W-2, invoice, ...).",
  spec: {
    title: "Document classification: financial documents by type",
    industry: "financial-services",
    task: "classify",
    targets: { accuracy: 0.97, p95LatencyMs: 100, costPer1kRequestsUsd: 0.01 },
    deployment: "hybrid",
    routing: { targetAccuracy: 0.98, fallback: "review", shadowRate: 0 },
  },
  // OCR noise: typos and case, no chat abbreviations.
  noise: { typo: 0.35, abbreviation: 0, lowerCase: 0.1, upperCase: 0.2, repeatPunctuation: 0 },
  openers: ["Page 1 of [2|3|4]", "{name}", "Account {accountNumber}", "Scanned copy", "CONFIDENTIAL"],
  closers: ["Page 1", "Continued on next page", "Questions? Call 1-800-555-{last4}", "{name}"],
  slots: bankSlots,
  intents: [
    {
      name: "bank_statement",
      description: "A checking or savings account statement: balances, deposits, withdrawals.",
      templates: [
        "Statement period {date} to {date} Beginning balance {amount} Deposits and additions",
        "[Checking|Savings] account statement, account {accountNumber}, ending balance {amount}",
        "Summary of account activity: deposits {amount}, withdrawals {amount}, ending balance",
        "Your [monthly|] statement: daily ending balance and transaction detail",
      ],
    },
    {
      name: "credit_card_statement",
      description: "A credit card statement: new balance, minimum payment, due date.",
      templates: [
        "New balance {amount} Minimum payment due {amount} Payment due date {date}",
        "Credit card statement, card ending {last4}, credit limit {bigAmount}",
        "Previous balance, payments, purchases, interest charged, new balance {amount}",
        "Late payment warning: if we do not receive your minimum payment by {date}",
      ],
    },
    {
      name: "pay_stub",
      description: "An employee's pay slip: gross pay, deductions, net pay.",
      templates: [
        "Earnings statement {employer} pay period {date} - {date} gross pay {bigAmount}",
        "Pay stub: regular hours 80, net pay {bigAmount}, YTD gross",
        "Employee {name} Federal withholding Social Security Medicare Net pay {amount}",
        "Payslip {employer} deductions 401k, health insurance, net pay",
      ],
    },
    {
      name: "w2",
      description: "IRS Form W-2, Wage and Tax Statement.",
      templates: [
        "Form W-2 Wage and Tax Statement {year} Employer identification number",
        "W-2 {year} Box 1 Wages, tips, other compensation {bigAmount} Box 2 Federal income tax withheld",
        "Copy B To Be Filed With Employee's FEDERAL Tax Return, W-2, {employer}",
        "Wage and Tax Statement {year}, employee's social security number",
      ],
    },
    {
      name: "form_1099",
      description: "IRS Form 1099 (INT, DIV, NEC, MISC): non-wage income reported to the IRS.",
      templates: [
        "Form 1099-[INT|DIV|NEC|MISC] {year} Payer's TIN Recipient's TIN",
        "1099-INT Interest Income {year} Box 1 interest income {amount}",
        "1099-NEC Nonemployee compensation {bigAmount} {year}",
        "Form 1099-DIV dividends and distributions, total ordinary dividends {amount}",
      ],
    },
    {
      name: "invoice",
      description: "A bill from a supplier asking for payment: invoice number, line items, amount due.",
      templates: [
        "INVOICE No. INV-{ref} Bill to {name} Due date {date} Amount due {bigAmount}",
        "Invoice date {date}, terms Net 30, subtotal {amount}, tax, total due",
        "Please remit payment for invoice {ref}, description, qty, unit price, total {bigAmount}",
        "Tax invoice from {employer}: services rendered, balance due {amount}",
      ],
    },
    {
      name: "receipt",
      description: "Proof of a completed payment at a store or online.",
      templates: [
        "Thank you for your purchase! Subtotal {amount} Tax Total {amount} VISA ****{last4}",
        "Receipt #{ref} {merchantShop} {date} paid by card, change due 0.00",
        "Order receipt, payment received {amount}, no balance due",
        "Sales receipt: item, qty, price, total paid {amount}",
      ],
    },
    {
      name: "loan_application",
      description: "An application for a loan or credit: applicant, income, requested amount.",
      templates: [
        "Uniform Residential Loan Application, borrower information, {name}",
        "Loan application: requested amount {bigAmount}, purpose, employment and income",
        "Applicant name {name}, annual income, monthly debts, co-borrower",
        "Personal loan application form, section 1 borrower details, section 2 employment",
      ],
    },
    {
      name: "mortgage_statement",
      description: "A periodic mortgage statement: principal, escrow, payment due.",
      templates: [
        "Mortgage statement, loan number {ref}, principal {amount} interest escrow",
        "Amount due {bigAmount} by {date}, outstanding principal, escrow balance",
        "Your mortgage payment breakdown: principal, interest, taxes and insurance",
        "Home loan statement, property address, late fee if received after {date}",
      ],
    },
    {
      name: "insurance_policy",
      description: "An insurance policy or declarations page: coverage, premium, policy period.",
      templates: [
        "Declarations page policy number {ref} policy period {date} to {date}",
        "Insurance policy: coverage limits, deductible {amount}, annual premium {bigAmount}",
        "Named insured {name}, [auto|homeowners|life] insurance policy",
        "Certificate of insurance, insurer, coverage effective {date}",
      ],
    },
  ],
});

/** Customer service: a retail bank's common questions answered from its FAQ. */
export const bankCustomerServiceTemplate = defineAnswerTemplate({
  id: "fin-customer-service",
  summary:
    "Answer a retail bank's 10 common customer questions from its FAQ (lost card, transfers, fees, ...).",
  spec: {
    title: "Customer service: common banking inquiries answered from the FAQ",
    industry: "financial-services",
    targets: { accuracy: 0.95, p95LatencyMs: 100, costPer1kRequestsUsd: 0.03 },
    deployment: "hybrid",
    routing: { targetAccuracy: 0.98, fallback: "llm", shadowRate: 0.02 },
  },
  openers: ["Hi,", "Hello,", "Good afternoon,", "Hey,", "Question:"],
  closers: ["Thanks.", "thank you", "Please help.", "Regards"],
  slots: bankSlots,
  intents: [
    {
      name: "lost_card",
      description: "A card is lost or stolen and must be blocked.",
      related: ["dispute_charge"],
      answer:
        "Freeze the card ending {last4} now in the app under Cards > Freeze, or call 1-800-555-0100 (24/7); a replacement arrives in 3-5 business days.",
      slots: {
        last4: { pattern: "(?:ending|ends in|last 4|\\*{2,4})\\s*(\\d{4})", fallback: "in question" },
      },
      templates: [
        "I lost my [debit|credit] card",
        "my card [ending|ending in] {last4} was stolen",
        "how do I block my card",
        "can't find my wallet, freeze my card",
        "card stolen, what do I do",
        "lost card ending {last4}, need a new one",
      ],
      foreign: ["Perdí mi tarjeta."],
    },
    {
      name: "reset_password",
      description: "Online banking login, password and two-factor problems.",
      related: [],
      answer:
        "Reset your password from the login page with 'Forgot password'; the code goes to the phone on file. Locked out after 5 tries? Wait 30 minutes or call us.",
      templates: [
        "I forgot my online banking password",
        "how do I reset my password",
        "locked out of the app",
        "not getting the login code",
        "can't log in to online banking",
        "password reset isn't working",
      ],
    },
    {
      name: "check_balance",
      description: "How to see the balance or recent transactions.",
      related: [],
      answer:
        "Your balance and the last 90 days of transactions are on the app's home screen; text BAL to 55500 for a quick balance.",
      templates: [
        "what's my balance",
        "how do I check my account balance",
        "can I see my balance by text",
        "where do I see recent transactions",
        "how much money is in my checking",
        "balance inquiry",
      ],
    },
    {
      name: "dispute_charge",
      description: "Disputing a charge the customer does not recognize or that was wrong.",
      related: ["lost_card"],
      answer:
        "Open the transaction in the app and tap 'Dispute'; we credit the amount provisionally within 10 business days while we investigate.",
      templates: [
        "there's a charge I don't recognize for {amount}",
        "how do I dispute a transaction",
        "I was charged twice by {merchantShop}",
        "charge of {amount} is wrong, want to dispute",
        "unknown transaction on my statement",
        "merchant won't refund me, can the bank help",
      ],
    },
    {
      name: "transfer_limits",
      description: "Limits and timing of transfers, wires and Zelle.",
      related: ["wire_transfer"],
      answer:
        "Online transfers are limited to $10,000 a day and Zelle to $2,500 a day; transfers between your own accounts are instant.",
      templates: [
        "what's the daily transfer limit",
        "how much can I send with Zelle",
        "can I raise my transfer limit",
        "limit on online transfers?",
        "why was my transfer of {bigAmount} blocked by a limit",
        "max amount I can move per day",
      ],
    },
    {
      name: "wire_transfer",
      description: "Sending or receiving domestic and international wires.",
      related: ["transfer_limits"],
      answer:
        "Wires sent before 4 pm ET arrive the same business day in the US; international wires take 1-3 days. Our routing number is 021000021 and the SWIFT code is EXMPUS33.",
      templates: [
        "how do I send a wire",
        "what's your routing number for a wire",
        "SWIFT code for international transfer",
        "how long does an international wire take",
        "incoming wire instructions please",
        "wire money to {country}",
      ],
    },
    {
      name: "branch_hours",
      description: "Branch and phone opening hours.",
      related: [],
      answer:
        "Branches are open Monday to Friday 9 am-5 pm and Saturday 9 am-1 pm; phone support is open 24/7.",
      templates: [
        "what time does the branch open",
        "are branches open on Saturday",
        "branch hours in {city}",
        "when can I call customer service",
        "is the bank open today",
        "opening hours",
      ],
    },
    {
      name: "update_address",
      description: "Changing address, phone or email on file.",
      related: [],
      answer:
        "Update your address, phone and email in the app under Profile > Contact details; we confirm the change by email.",
      templates: [
        "I moved, how do I change my address",
        "update my phone number",
        "change email on my account",
        "new address, where do I update it",
        "how to update contact details",
        "need to change my mailing address",
      ],
    },
    {
      name: "overdraft_fees",
      description: "Overdraft fees, overdraft protection and fee refunds.",
      related: ["dispute_charge"],
      answer:
        "The overdraft fee is $35, at most 3 a day; link a savings account for free overdraft protection. We refund one overdraft fee a year on request.",
      templates: [
        "why was I charged an overdraft fee",
        "can you refund the overdraft fee",
        "how does overdraft protection work",
        "overdraft fee of $35, I didn't know",
        "how to avoid overdraft charges",
        "turn off overdraft",
      ],
    },
    {
      name: "open_account",
      description: "Opening a new checking or savings account and what is needed.",
      related: [],
      answer:
        "Open a checking or savings account in the app in about 10 minutes with a government ID and your SSN; there is no minimum deposit.",
      templates: [
        "how do I open a savings account",
        "what do I need to open an account",
        "can I open an account online",
        "open a checking account for my son",
        "requirements for a new account",
        "minimum deposit to open account",
      ],
    },
  ],
});
