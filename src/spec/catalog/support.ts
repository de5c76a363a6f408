// The built-in customer-support use case: an online store's 15 ticket intents and a seeded generator of messy tickets.

import { createRandom, type Random } from "../../internal/random.js";
import { normalizeText } from "../../text/normalize.js";
import type { LabeledExample } from "../../types.js";
import type { UseCaseInput } from "../schema.js";
import { checkGenerateOptions, type GenerateOptions, type UseCaseTemplate } from "./template.js";
import { addNoise, digits, expandTemplate, pick, type SlotFiller } from "./text-variation.js";

interface Intent {
  name: string;
  description: string;
  /** Templates in the `[a|b]` / `{slot}` syntax of `expandTemplate`. */
  templates: readonly string[];
  /** A few non-English messages, as a store with international customers receives. */
  foreign?: readonly string[];
  /** Intents a customer plausibly raises in the same message; ambiguous items borrow a sentence from one. */
  related: readonly string[];
}

// Vocabulary deliberately overlaps across intents ("order", "refund", "cancel", "card", "delivered"), as it
// does in real tickets, so a bag-of-words model has to learn phrasing, not single keywords.
const intents: readonly Intent[] = [
  {
    name: "order_status",
    description: "Where an order is, whether it shipped, tracking information.",
    related: ["delivery_delay", "change_address", "missing_item"],
    templates: [
      "[Where is|Where's|What's the status of|Any update on] my order {order}?",
      "Can you tell me where my package is? [Order|Order number|It's] {order}.",
      "I placed an order {date} and [haven't heard anything since|have no idea where it is|got no tracking info]. [Can you check?|Could you look into it?|]",
      "order status {order}",
      "tracking for [order|] {order}",
      "Has my order {order} shipped yet?",
      "When will my {product} [ship|be shipped|go out]?",
      "I'd like to track my order {order}[ please|].",
      "The tracking link [doesn't work|shows nothing|isn't updating]. Where is my {product}?",
      "Did my order go through? I ordered {product} {date}.",
      "Is {order} [out for delivery|on its way|dispatched] yet?",
      "Could you give me an update on order {order}? [I ordered it {date}.|]",
      "how do i track my [package|order]",
      "Need the tracking number for {order}",
      "What's happening with my order? It [says|has said] processing [since last week|for days|for {days}].",
      "Has {carrier} picked up my order yet?",
      "Just checking on my {product} order, [any news|any updates|what's the ETA]?",
      "Can you check the status of order {order}",
      "when does my order [arrive|get here|come]",
      "I got a shipping confirmation but no tracking [info|number] for {order}.",
      "Which carrier is delivering order {order}?",
      "Is my {product} still [being packed|in the warehouse|processing]?",
    ],
    foreign: [
      "¿Dónde está mi pedido {order}?",
      "Wo ist meine Bestellung {order}?",
      "Où en est ma commande {order} ?",
    ],
  },
  {
    name: "cancel_order",
    description: "Cancel an order, or part of one, before or after it ships.",
    related: ["refund_status", "delivery_delay", "subscription_cancel"],
    templates: [
      "[Please|Can you|I want to|I need to] cancel my order {order}.",
      "cancel order {order}",
      "I ordered [the|a] {product} by mistake, please cancel it.",
      "Can I still cancel my order? I placed it {date}.",
      "I changed my mind about the {product}, [don't ship it|please cancel before it ships].",
      "How do I cancel an order that hasn't shipped yet?",
      "Please stop order {order}, I ordered the wrong size.",
      "I accidentally ordered twice, cancel one of them [please|]. {order}",
      "Is it too late to cancel {order}?",
      "I no longer need the {product}. Cancel the order and [refund me|give me my money back].",
      "cancel my last order [pls|please|]",
      "Found it cheaper elsewhere, [I want|want] to cancel {order}.",
      "Cancel the {product} from my order {order}, keep the rest.",
      "I want to cancel my purchase from {date}.",
      "Don't send order {order}, I'm cancelling.",
      "There's no cancel button on my order page, how do I cancel {order}?",
      "Please void my order {order} before it ships.",
      "Can you cancel my order and [email the confirmation to|send a confirmation to] {email}?",
      "The delivery date is too late for me, I'd rather cancel {order}.",
      "My [kid|son|daughter] placed an order by mistake, cancel it please.",
      "I'd like to cancel the order I just made.",
    ],
    foreign: ["Quiero cancelar mi pedido {order}.", "Bitte stornieren Sie meine Bestellung {order}."],
  },
  {
    name: "return_item",
    description: "Return or exchange an item: labels, policy, drop-off, return shipping.",
    related: ["refund_status", "damaged_item", "missing_item"],
    templates: [
      "I want to return [the|my] {product}.",
      "How do I return [the|a] {product} I [bought|ordered] {date}?",
      "[Can I|How can I] send back [the|my] {product}? It doesn't fit.",
      "return label for order {order}",
      "The {product} is too [small|big|tight|large], I'd like to return it.",
      "What is your return policy for {product}?",
      "I need a return label for order {order}.",
      "I'd like to exchange the {product} for a different [size|color].",
      "Not happy with the {product}, [want|I want] to send it back.",
      "Can I return an item from order {order} [after 30 days|without the box|if I opened it]?",
      "how to return an item",
      "The {product} looks different from the pictures, I want to return it.",
      "Where do I drop off a return?",
      "I'd like to return part of order {order}.",
      "Start a return for [the|my] {product} please",
      "Wrong color {product}, I want to send it back and get the right one.",
      "Do I have to pay for return shipping on {order}?",
      "Got a gift I don't want, can I return it without a receipt?",
      "Return my {product} and put the money back on {card}.",
      "I printed the return label but {carrier} won't accept the package.",
      "Can I swap the {product} for something else?",
    ],
    foreign: ["Quiero devolver {product}.", "Je voudrais retourner un article de la commande {order}."],
  },
  {
    name: "refund_status",
    description: "When or whether a refund arrives; partial or missing refunds.",
    related: ["return_item", "cancel_order", "payment_failed"],
    templates: [
      "Where is my refund for order {order}?",
      "I returned [the|my] {product} {date} and [still haven't got|haven't received] my refund.",
      "When will I get my money back?",
      "refund status {order}",
      "You said the refund of {amount} was processed {date}, but it's not on my [card|account|statement].",
      "How long do refunds take?",
      "My refund [is missing|hasn't arrived|never came].",
      "Still waiting on my {amount} refund.",
      "I was promised a refund {days} ago.",
      "The refund for my cancelled order {order} isn't showing up.",
      "Did you receive my return? I want to know when the refund [comes|is issued].",
      "I only got a partial refund of {amount}, where's the rest?",
      "Can you check if my refund went through? {order}",
      "refund not received",
      "Why was my refund [sent|given] as store credit instead of back to {card}?",
      "It's been {days} since you got my return and no refund yet.",
      "Please confirm the refund amount for {order}.",
      "refund??",
      "Has the refund for the damaged {product} been processed?",
      "Your email says refunded but my bank shows nothing.",
      "Where's my money? I sent the {product} back {date}.",
    ],
    foreign: ["Je n'ai pas reçu mon remboursement pour {order}.", "¿Cuándo recibiré mi reembolso?"],
  },
  {
    name: "change_address",
    description: "Change the delivery address of an order or the saved shipping address.",
    related: ["order_status", "account_access", "subscription_cancel"],
    templates: [
      "I need to change the shipping address on order {order}.",
      "Can I update my delivery address? I [moved|just moved|have a new place].",
      "Wrong address on my order, it should be {address}.",
      "Please ship {order} to {address} instead.",
      "change address {order}",
      "I typed my street number wrong, can you fix the address before it ships?",
      "How do I change my default shipping address in my account?",
      "Can you send the {product} to my office instead of home?",
      "Update [the|my] delivery address to {address} for my latest order.",
      "I'm travelling, can you redirect my package to {address}?",
      "The zip code on my order is wrong.",
      "Can I change where my order is delivered after it shipped?",
      "new address: {address}, please update order {order}",
      "Please correct the apartment number on order {order}, it's {apartment}.",
      "Deliver to my neighbour at {address} please.",
      "My address changed, update it for my subscription deliveries too.",
      "how to edit [the|] address on [an|my] order",
      "I forgot to update my address before ordering the {product}.",
      "Ship it to {address} not my old address!",
    ],
    foreign: ["Necesito cambiar la dirección de envío: {address}."],
  },
  {
    name: "payment_failed",
    description: "A payment was declined or failed, or the customer was charged wrongly or twice.",
    related: ["update_payment_method", "order_status", "promo_code"],
    templates: [
      "My payment [keeps failing|was declined|didn't go through][ at checkout|].",
      "Card declined when I tried to buy [the|a] {product}.",
      "Why was my payment declined? {card} has money on it.",
      "payment failed",
      "I got charged but the order says payment failed.",
      "Checkout gives an error when I pay with {card}.",
      "I was charged twice for order {order}.",
      "The payment page just spins and then says something went wrong.",
      "Transaction error {errorCode}, can't complete my purchase.",
      "Why can't I pay with {card}?",
      "PayPal payment failed for order {order}.",
      "My bank says the charge of {amount} was blocked.",
      "I tried three times and the payment won't work.",
      "Order didn't go through because of a payment error, [but the money left my account|what do I do]?",
      "Getting 'payment declined' even though my card works everywhere else.",
      "Apple Pay not working at checkout",
      "There's a pending charge of {amount} but no order.",
      "cant pay, error at checkout",
      "You charged me {amount} twice for the {product}.",
    ],
    foreign: ["Mi pago fue rechazado.", "Meine Zahlung ist fehlgeschlagen."],
  },
  {
    name: "update_payment_method",
    description: "Add, change or remove a saved card or payment method.",
    related: ["payment_failed", "account_access", "subscription_cancel"],
    templates: [
      "How do I update my [card|payment method|billing info|payment details]?",
      "I need to change the card on my account.",
      "My card expired, how do I add a new one?",
      "Remove {card} from my account please.",
      "Can I switch my subscription payment to {card}?",
      "update payment method",
      "I got a new card, where do I update it?",
      "How do I set {card} as my default payment?",
      "I want to pay with PayPal instead of my card from now on.",
      "Update the billing address for my card.",
      "My card was stolen, please delete it from my account.",
      "Can't find where to edit my saved cards.",
      "Add a new credit card to my account",
      "change card on file",
      "Your email said my payment method needs updating, how do I do it?",
      "Please replace the card ending {last4} with my new one.",
      "I'd like to use a different card for future orders.",
      "Where do I manage payment options in the app?",
    ],
  },
  {
    name: "damaged_item",
    description: "An item arrived broken, damaged or defective.",
    related: ["return_item", "refund_status", "missing_item"],
    templates: [
      "My {product} arrived [broken|damaged|cracked|smashed].",
      "The box was crushed and the {product} inside is broken.",
      "Received a damaged item in order {order}.",
      "damaged {product}",
      "The {product} doesn't work, it was broken out of the box.",
      "[The screen|The glass|The lid] is cracked on the {product} I got {date}.",
      "Item arrived damaged, I want a replacement.",
      "The {product} has a [scratch|dent|tear|stain] on it.",
      "Half the {product} was shattered when I opened the package.",
      "Got my order {order} today and it's damaged, what now?",
      "The {product} stopped working after one day.",
      "Leaking bottle, everything in the box is wet.",
      "Packaging was torn open and the {product} is [damaged|scratched].",
      "the item is defective",
      "Photos attached: {product} broken on arrival. Please send a new one.",
      "{carrier} must have dropped it, the {product} is broken.",
      "I'd like a refund for the broken {product}.",
      "The {product} came with a missing [button|handle|screw] and a crack.",
    ],
    foreign: ["El producto llegó roto.", "Der Artikel ist beschädigt angekommen."],
  },
  {
    name: "missing_item",
    description:
      "An item or the whole package is missing, marked delivered but not received, or the wrong item came.",
    related: ["order_status", "delivery_delay", "damaged_item"],
    templates: [
      "My order {order} arrived but the {product} was missing.",
      "Only got part of my order, [the|my] {product} wasn't in the box.",
      "Package says delivered but I never got it.",
      "missing item in order {order}",
      "The box was empty!",
      "You sent me the wrong item, I ordered {product}.",
      "I ordered {count} {product} and only received {smallerCount}.",
      "Tracking says delivered {date} but nothing is here.",
      "The {product} is not in my package, [only the packing slip lists it|the slip lists it though].",
      "Received someone else's order instead of mine.",
      "item missing from [delivery|my order]",
      "I think my package was stolen from the porch, it says delivered.",
      "The {product} came without the [charger|cable|lid|instructions].",
      "The delivery was incomplete, where is the rest of order {order}?",
      "Got the wrong size {product}, I ordered a {size}.",
      "{carrier} says delivered to my mailbox but it's not there.",
    ],
    foreign: ["Falta un artículo en mi pedido {order}."],
  },
  {
    name: "account_access",
    description: "Cannot log in: password resets, locked accounts, verification codes, account email.",
    related: ["update_payment_method", "order_status", "change_address"],
    templates: [
      "I can't [log in|sign in|get into my account].",
      "Forgot my password, the reset email never arrives.",
      "My account is locked.",
      "login problems",
      "I'm not getting the verification code on my phone.",
      "Someone changed my account email, I think I was hacked.",
      "How do I reset my password?",
      "It says my email {email} isn't registered, but I have orders with you.",
      "Can't sign in with Google anymore.",
      "The app logs me out every time.",
      "two factor code not working",
      "I need to change the email on my account to {email}.",
      "Please unlock my account, I entered the wrong password too many times.",
      "Password reset link expired.",
      "Can't access my account to check my order {order}.",
      "I don't get the login code sent to {phone}.",
      "It keeps saying incorrect password but I know it's right.",
    ],
    foreign: ["No puedo iniciar sesión en mi cuenta."],
  },
  {
    name: "delivery_delay",
    description: "An order is late, past its estimated delivery date, or stuck in transit.",
    related: ["order_status", "cancel_order", "missing_item"],
    templates: [
      "My order {order} is late.",
      "It was supposed to arrive {date} and it's still not here.",
      "Why is my delivery taking so long?",
      "delivery delayed",
      "Estimated delivery was {days} ago.",
      "The tracking hasn't moved in {days}.",
      "{carrier} keeps pushing the delivery date back.",
      "I needed the {product} for a birthday [this weekend|on Saturday|tomorrow], it's going to be late!",
      "Package stuck in transit for {days}.",
      "You promised 2-day shipping and it's been {days}.",
      "still no delivery",
      "My order is overdue, when will it finally come?",
      "Delivery was rescheduled again, what's going on?",
      "Paid for express shipping and it's still late, I want the shipping fee back.",
      "The {product} should have been delivered {date}.",
      "Why does tracking say delayed for order {order}?",
      "It's been {days} past the delivery date for {order}.",
    ],
    foreign: ["Mi pedido {order} está retrasado.", "Ma commande a du retard."],
  },
  {
    name: "product_question",
    description: "Questions about a product before or after buying: sizes, stock, compatibility, use.",
    related: ["order_status", "promo_code", "return_item"],
    templates: [
      "Does the {product} come in [black|other colors|a larger size]?",
      "Is the {product} [waterproof|dishwasher safe|machine washable]?",
      "What's the difference between the two {product} models?",
      "Is [the|] {product} in stock?",
      "When will the {product} be back in stock?",
      "What size should I get? I'm usually a {size}.",
      "Does the {product} work with [iPhone|Android|a Mac]?",
      "How long is the warranty on the {product}?",
      "What are the dimensions of the {product}?",
      "Is this {product} compatible with my old one?",
      "question about the {product}",
      "Do you ship the {product} to Canada?",
      "Is the battery in the {product} replaceable?",
      "Can I order the {product} in bulk?",
      "Does the {product} come with a charger?",
      "How do I use the {product}? The manual is confusing.",
      "What material is the {product} made of?",
    ],
    foreign: ["¿El {product} viene en otros colores?"],
  },
  {
    name: "subscription_cancel",
    description: "Cancel, pause or stop the renewal of a subscription or membership.",
    related: ["cancel_order", "refund_status", "update_payment_method"],
    templates: [
      "I want to cancel my {plan}.",
      "How do I stop my {plan} from renewing?",
      "Cancel my subscription please.",
      "cancel subscription",
      "Please don't charge me for the {plan} next month.",
      "I was charged {amount} for a {plan} I cancelled.",
      "How do I end my membership?",
      "Turn off auto-renew on my account.",
      "I'd like to pause or cancel my {plan}.",
      "Unsubscribe me from the {plan}, I don't use it.",
      "Cancel the free trial before it charges me.",
      "stop my monthly order",
      "Please end my {plan} effective today and confirm by email to {email}.",
      "How can I cancel my membership renewal?",
      "Can I get money back for the unused part of my {plan}?",
      "I don't want the {plan} anymore.",
    ],
    foreign: ["Quiero cancelar mi suscripción."],
  },
  {
    name: "promo_code",
    description: "Promo codes, coupons, gift cards and discounts that did not apply.",
    related: ["payment_failed", "refund_status", "product_question"],
    templates: [
      "My promo code {code} [isn't working|doesn't work|is not valid].",
      "The discount code {code} says expired but the email says valid until [the end of the month|Sunday|next week].",
      "I forgot to apply my coupon {code} to order {order}, can you add it?",
      "promo code not working",
      "How do I use a gift card?",
      "Where do I enter a discount code?",
      "Is there a discount for first orders?",
      "The {code} coupon didn't take [20%|10%|15%] off.",
      "Can I combine two promo codes?",
      "I was charged full price even though I used {code}.",
      "Do you have any coupons for the {product}?",
      "The sale price wasn't applied at checkout.",
      "code {code} invalid",
      "My gift card balance shows $0 but I haven't used it.",
      "The price dropped {date} after I bought the {product}, can I get the difference?",
      "Free shipping code {code} didn't apply to my order.",
    ],
  },
  {
    name: "speak_to_human",
    description: "Asks for a person: a live agent, a call back, a manager.",
    related: ["refund_status", "order_status", "account_access"],
    templates: [
      "I want to talk to a [real person|human|live agent].",
      "Can I speak to someone? [This bot is useless.|]",
      "agent",
      "representative",
      "Please have someone call me at {phone}.",
      "Connect me with customer service, I need to talk about order {order}.",
      "Is there a phone number I can call?",
      "I don't want to chat with a bot, give me a person.",
      "human please",
      "Let me speak to a manager.",
      "Can a supervisor contact me about my complaint?",
      "Transfer me to a live agent [asap|now|please].",
      "How do I reach a person about my refund?",
      "Is live chat with a real person available?",
      "Call me back please, {phone}.",
      "I need to speak to an actual human being about my account.",
    ],
    foreign: ["Quiero hablar con una persona.", "Ich möchte mit einem Mitarbeiter sprechen."],
  },
];

const products = [
  "wireless earbuds",
  "blue hoodie",
  "running shoes",
  "coffee grinder",
  "phone case",
  "yoga mat",
  "desk lamp",
  "kids backpack",
  "4K monitor",
  "air fryer",
  "water bottle",
  "winter jacket",
  "smart watch",
  "bluetooth speaker",
  "bed sheets",
  "office chair",
  "laptop stand",
  "vitamin gummies",
  "dog bed",
  "gaming mouse",
  "linen shirt",
  "hiking boots",
  "mug set",
  "face cream",
  "LED strip lights",
  "stick vacuum",
  "cast iron pan",
  "sunglasses",
  "USB-C charger",
  "board game",
  "baby monitor",
  "electric toothbrush",
  "rain boots",
  "throw pillow",
  "blender",
] as const;
const months = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
];
const relativeDates = [
  "yesterday",
  "last Monday",
  "last week",
  "two days ago",
  "on Friday",
  "this morning",
  "3 weeks ago",
  "last month",
  "on Tuesday",
  "over the weekend",
] as const;
const carriers = ["UPS", "FedEx", "DHL", "USPS", "Royal Mail", "the courier", "the delivery driver"] as const;
const cards = [
  "my Visa",
  "my Mastercard",
  "my Amex",
  "PayPal",
  "Apple Pay",
  "my debit card",
  "my credit card",
] as const;
const firstNames = [
  "jane",
  "sam",
  "maria",
  "li",
  "ahmed",
  "olga",
  "kofi",
  "priya",
  "tom",
  "ana",
  "yuki",
  "omar",
];
const lastNames = ["doe", "smith", "garcia", "chen", "khan", "novak", "mensah", "patel", "brown", "silva"];
const plans = [
  "subscription",
  "Plus membership",
  "monthly box",
  "premium plan",
  "snack box subscription",
  "coffee subscription",
  "annual membership",
] as const;
const streets = [
  "Oak Street",
  "Baker St",
  "Elm Ave",
  "Main Street",
  "River Road",
  "Park Lane",
  "Maple Drive",
] as const;
const sizes = ["small", "medium", "large", "size 8", "size 10", "XL", "M"] as const;
const promoWords = ["SAVE", "WELCOME", "SPRING", "VIP", "FREESHIP", "HOLIDAY", "SUMMER"] as const;

const slots: Readonly<Record<string, SlotFiller>> = {
  order: (random) =>
    pick(random, [
      () => `#A${digits(random, 5)}`,
      () => `A${digits(random, 5)}`,
      () => `#${1 + random.int(9)}${digits(random, 6)}`,
      () => `${1 + random.int(9)}${digits(random, 2)}-${digits(random, 7)}`,
      () => `ORD-${digits(random, 6)}`,
    ])(),
  product: (random) => pick(random, products),
  date: (random) => {
    if (random.next() < 0.6) return pick(random, relativeDates);
    const day = `${pick(random, months)} ${1 + random.int(28)}`;
    return random.next() < 0.5 ? `on ${day}` : day;
  },
  amount: (random) => {
    const value = `${5 + random.int(300)}.${digits(random, 2)}`;
    return pick(random, [`$${value}`, `€${value}`, `£${value}`, `${value} dollars`, `USD ${value}`]);
  },
  days: (random) =>
    pick(random, ["3 days", "a week", "10 days", "two weeks", "over a month", "5 business days"]),
  carrier: (random) => pick(random, carriers),
  card: (random) => (random.next() < 0.25 ? `the card ending ${digits(random, 4)}` : pick(random, cards)),
  last4: (random) => digits(random, 4),
  email: (random) => {
    const first = pick(random, firstNames);
    const last = pick(random, lastNames);
    return random.next() < 0.5 ? `${first}.${last}@example.com` : `${first}${digits(random, 2)}@example.org`;
  },
  phone: (random) => `+1 555 ${digits(random, 3)} ${digits(random, 4)}`,
  name: (random) => {
    const name = pick(random, firstNames);
    return name.charAt(0).toUpperCase() + name.slice(1);
  },
  plan: (random) => pick(random, plans),
  address: (random) => `${1 + random.int(250)} ${pick(random, streets)}`,
  apartment: (random) => `apt ${1 + random.int(40)}${pick(random, ["", "B", "C"])}`,
  size: (random) => pick(random, sizes),
  code: (random) => `${pick(random, promoWords)}${5 * (1 + random.int(6))}`,
  errorCode: (random) =>
    pick(random, [`E${digits(random, 3)}`, `code ${digits(random, 4)}`, `#PAY-${digits(random, 3)}`]),
  count: (random) => String(3 + random.int(3)),
  smallerCount: (random) => String(1 + random.int(2)),
  nth: (random) => pick(random, ["second", "third", "fourth", "fifth"]),
};

// Shared by every intent, so greetings and sign-offs carry no label information, as in real tickets.
const openers = [
  "Hi,",
  "Hello,",
  "Hey,",
  "Hi there,",
  "Good morning,",
  "Good afternoon,",
  "Hello support,",
  "Hi team,",
  "Dear customer service,",
  "Excuse me,",
  "Quick question:",
  "Help!",
  "URGENT:",
  "Hola,",
  "Sorry to bother you,",
  "Hi, my name is {name}.",
] as const;
const closers = [
  "Thanks.",
  "Thank you!",
  "Thanks in advance.",
  "Please help.",
  "Please advise.",
  "Appreciate it.",
  "Any update?",
  "I've been a customer for years.",
  "Regards, {name}",
  "Cheers",
  "asap please",
  "I need this sorted today.",
  "Please reply to {email}.",
  "My order number is {order}.",
  "Order {order}.",
  "gracias",
  ":(",
  "🙏",
] as const;
const frustrations = [
  "This is the {nth} time I'm contacting you.",
  "Unacceptable.",
  "Seriously?",
  "I'm very disappointed.",
  "This is ridiculous.",
  "Worst service ever.",
] as const;
const connectors = ["Also", "And", "Plus", "Btw", "Oh and", "Another thing:"] as const;

/** Generation knobs: probabilities per example. Kept here, not as options, so a seed pins down the data. */
const rates = {
  opener: 0.3,
  closer: 0.3,
  frustration: 0.07,
  foreign: 0.03,
  /** Genuinely ambiguous: a second request from a related intent, labelled with the first (primary) one. */
  ambiguous: 0.03,
} as const;

const defaultSeed = 42;
const defaultPerLabel = 80;
/** Attempts at a text not yet produced before accepting a duplicate (tiny sets may run out of variety). */
const maxAttempts = 30;

/**
 * Generates customer-support tickets in code, no external data: `perLabel` per intent (default 80), from
 * many templates per intent, slot fillers (order numbers, products, dates, amounts) and seeded noise
 * (typos, case, missing punctuation, chat abbreviations, a few non-English messages), with about 3%
 * ambiguous tickets that raise two issues. The same seed (default 42) gives identical output; the result
 * is shuffled and holds no duplicate texts unless the templates run out of variety.
 */
export function generateSupportData(options: GenerateOptions = {}): LabeledExample[] {
  const seed = options.seed ?? defaultSeed;
  const perLabel = options.perLabel ?? defaultPerLabel;
  checkGenerateOptions(seed, perLabel);
  const exclude = options.exclude ?? new Set<string>();
  const random = createRandom(seed);
  const seen = new Set<string>();
  const examples: LabeledExample[] = [];
  for (const intent of intents) {
    for (let index = 0; index < perLabel; index++) {
      let text = composeTicket(intent, random);
      // Duplicates are judged as `data check` judges them: after normalization (case, width, spacing).
      for (
        let attempt = 1;
        attempt < maxAttempts && (seen.has(normalizeText(text)) || exclude.has(normalizeText(text)));
        attempt++
      ) {
        text = composeTicket(intent, random);
      }
      seen.add(normalizeText(text));
      examples.push({ text, label: intent.name });
    }
  }
  return random.shuffle(examples);
}

function composeTicket(intent: Intent, random: Random): string {
  const expand = (template: string): string => expandTemplate(template, slots, random);
  const foreign = intent.foreign !== undefined && random.next() < rates.foreign;
  const parts = [expand(pick(random, foreign && intent.foreign ? intent.foreign : intent.templates))];
  if (!foreign) {
    if (random.next() < rates.ambiguous) {
      const other = intentsByName.get(pick(random, intent.related));
      if (other !== undefined)
        parts.push(`${pick(random, connectors)} ${lowerFirst(expand(pick(random, other.templates)))}`);
    }
    if (random.next() < rates.frustration) parts.push(expand(pick(random, frustrations)));
    if (random.next() < rates.opener) {
      const opener = expand(pick(random, openers));
      // After "Hi," people continue in lower case about as often as not.
      if (opener.endsWith(",") && random.next() < 0.5) parts[0] = lowerFirst(parts[0] ?? "");
      parts.unshift(opener);
    }
    if (random.next() < rates.closer) parts.push(expand(pick(random, closers)));
  }
  return addNoise(parts.join(" "), random);
}

function lowerFirst(text: string): string {
  // "I" stays capital; acronyms such as "UPS" too.
  if (/^(I\b|[A-Z]{2,})/.test(text)) return text;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const intentsByName = new Map(intents.map((intent) => [intent.name, intent]));

const spec: UseCaseInput = {
  version: 1,
  id: "support",
  title: "Customer support tickets for an online store",
  industry: "retail",
  task: "classify",
  labels: intents.map(({ name, description }) => ({ name, description })),
  data: { train: "data/train.jsonl", valid: "data/valid.jsonl", test: "data/test.jsonl" },
  model: "model",
  targets: { accuracy: 0.95, p95LatencyMs: 100, costPer1kRequestsUsd: 0.05 },
  deployment: "hybrid",
  routing: { targetAccuracy: 0.97, fallback: "llm", shadowRate: 0 },
  llm: {
    baseUrl: "https://api.openai.com/v1",
    model: "gpt-4o-mini",
    apiKeyEnv: "OPENAI_API_KEY",
    // gpt-4o-mini list prices: $0.15 and $0.60 per million tokens.
    pricePer1kInputUsd: 0.00015,
    pricePer1kOutputUsd: 0.0006,
    timeoutMs: 10_000,
  },
  privacy: { storeText: false, redactPii: true, retentionDays: 30 },
  budget: { dailyUsd: 5, monthlyUsd: 100 },
  monitor: { window: 1000, psiThreshold: 0.2 },
};

/** The built-in customer-support template: 15 intents of an online store's tickets, task classify. */
export const supportTemplate: UseCaseTemplate = {
  id: "support",
  examples: "labeled",
  summary: "Route an online store's support tickets to 15 intents (order status, refunds, returns, ...).",
  spec,
  generate: generateSupportData,
};
